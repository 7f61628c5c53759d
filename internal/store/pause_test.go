package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/store"
)

// A send mailer paused itself keeps its reason, which a plain resume
// cannot overrule (a Conflict naming it, the send still paused); force
// resumes it and forgets the reason. A person's pause resumes plainly. A
// finished send is neither paused nor resumed.
func TestPauseForNeedsForceToResume(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 2)
	const why = "circuit breaker: 41 of the last 100 attempts were refused for good"
	if err := db.PauseFor(ctx, s.ID, why); err != nil {
		t.Fatal(err)
	}
	got, _ := db.GetSend(ctx, s.ID)
	if !got.Paused || got.PauseReason != why {
		t.Fatalf("after PauseFor: paused %v, reason %q", got.Paused, got.PauseReason)
	}
	err := db.ResumeSend(ctx, s.ID, false)
	if fault.CodeOf(err) != fault.Conflict || !errors.Is(err, store.ErrPausedByMailer) || !strings.Contains(err.Error(), why) {
		t.Fatalf("plain resume: %v", err)
	}
	if p, _ := db.Paused(ctx, s.ID); !p {
		t.Fatal("a refused resume unpaused the send")
	}
	if err := db.ResumeSend(ctx, s.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.GetSend(ctx, s.ID); got.Paused || got.PauseReason != "" {
		t.Fatalf("after resume --force: paused %v, reason %q", got.Paused, got.PauseReason)
	}
	if err := db.SetPaused(ctx, s.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := db.ResumeSend(ctx, s.ID, false); err != nil {
		t.Fatalf("resume of a person's pause: %v", err)
	}
	if _, err := db.CancelSend(ctx, s.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if err := db.PauseFor(ctx, s.ID, why); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("PauseFor of a finished send: %v", err)
	}
	if err := db.ResumeSend(ctx, s.ID, true); fault.CodeOf(err) != fault.Conflict || errors.Is(err, store.ErrPausedByMailer) {
		t.Fatalf("resume of a finished send: %v", err)
	}
	if err := db.ResumeSend(ctx, 999, false); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("resume of no send: %v", err)
	}
}
