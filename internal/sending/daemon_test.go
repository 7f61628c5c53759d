package sending_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"mailer/internal/fault"
	"mailer/internal/sending"
	"mailer/internal/store"
)

// A schedule waits for its time, then the daemon's loop starts it and
// delivers it to the active members.
func TestScheduleBecomesDueAndTheLoopDeliversIt(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 3)
	due := e.clock().Add(time.Hour)
	sc, err := e.mustPlan(sending.PlanOptions{}).Schedule(ctx, due, ann)
	if err != nil || sc.State != store.ScheduleScheduled || !sc.DueAt.Equal(due) {
		t.Fatalf("schedule: %+v, %v", sc, err)
	}
	if _, err := e.mustPlan(sending.PlanOptions{}).Schedule(ctx, e.clock(), ann); fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("a schedule for now: %v, want it refused", err)
	}
	log := &lockedWriter{w: &bytes.Buffer{}}
	d := e.daemon(log)
	if err := d.Tick(ctx); err != nil || len(e.srv.Messages()) != 0 {
		t.Fatalf("before its time: %v, %d messages", err, len(e.srv.Messages()))
	}
	e.setClock(due.Add(time.Minute))
	loopCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); d.Loop(loopCtx, 10*time.Millisecond) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(e.srv.Messages()) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	if n := len(e.srv.Messages()); n != 3 {
		t.Fatalf("after its time: %d messages, want 3\n%s", n, log)
	}
	got, err := e.db.GetSchedule(ctx, sc.ID)
	if err != nil || got.State != store.ScheduleStarted {
		t.Fatalf("schedule after the loop: %+v, %v", got, err)
	}
	ov, err := sending.Status(ctx, e.db, "issue-06")
	if err != nil || len(ov.Sends) != 1 || ov.Sends[0].State != store.SendDone || ov.Sends[0].Counts.Sent != 3 || len(ov.Scheduled) != 0 {
		t.Fatalf("status: %+v, %v", ov, err)
	}
}

// ann is the owner who pauses, resumes and cancels in these tests.
var ann = store.Evidence{Source: store.SourceAdmin, Operator: "ann"}

// A cancelled schedule is never sent, says who cancelled it, and cannot
// be cancelled twice; sends ls shows it only with all.
func TestCancelledScheduleIsNotSent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 2)
	due := e.clock().Add(time.Hour)
	sc, err := e.mustPlan(sending.PlanOptions{}).Schedule(ctx, due, ann)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := sending.Sends(ctx, e.db, false); err != nil || len(l.Scheduled) != 1 {
		t.Fatalf("sends ls: %+v, %v", l, err)
	}
	if err := sending.CancelSchedule(ctx, e.db, sc.ID, ann); err != nil {
		t.Fatal(err)
	}
	if err := sending.CancelSchedule(ctx, e.db, sc.ID, ann); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("cancelled twice: %v, want a conflict", err)
	}
	e.setClock(due.Add(time.Minute))
	log := &lockedWriter{w: &bytes.Buffer{}}
	if err := e.daemon(log).Tick(ctx); err != nil || len(e.srv.Messages()) != 0 {
		t.Fatalf("a cancelled schedule: %v, %d messages\n%s", err, len(e.srv.Messages()), log)
	}
	if l, err := sending.Sends(ctx, e.db, false); err != nil || len(l.Scheduled) != 0 {
		t.Fatalf("sends ls after the cancel: %+v, %v", l, err)
	}
	l, err := sending.Sends(ctx, e.db, true)
	if err != nil || len(l.Scheduled) != 1 || l.Scheduled[0].State != store.ScheduleCancelled || l.Scheduled[0].Reason != "cancelled by ann" {
		t.Fatalf("sends ls --all: %+v, %v", l, err)
	}
	audit, err := e.db.AuditLog(ctx, e.list(), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range audit {
		if a.Address == "" {
			got = append(got, a.Action+" by "+a.Operator)
		}
	}
	if strings.Join(got, ", ") != "send scheduled by ann, schedule cancelled by ann" {
		t.Fatalf("audit log of the schedule: %v", got)
	}
}

// Cancelling a running send skips what is left and finishes it; a paused
// send stands as paused and the daemon leaves it alone until resumed.
func TestPauseResumeAndCancelASend(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 4)
	crashed(t, e)
	s, err := e.db.LatestSend(ctx, "issue-06", e.list().ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := sending.PauseSend(ctx, e.db, s.ID, ann); err != nil {
		t.Fatal(err)
	}
	log := &lockedWriter{w: &bytes.Buffer{}}
	if err := e.daemon(log).Tick(ctx); err != nil || len(e.srv.Messages()) != 0 {
		t.Fatalf("a paused send was delivered: %v, %d messages", err, len(e.srv.Messages()))
	}
	if l, _ := sending.Sends(ctx, e.db, false); len(l.Sends) != 1 || l.Sends[0].Status != "paused" {
		t.Fatalf("sends ls: %+v", l.Sends)
	}
	if err := sending.ResumeSend(ctx, e.db, s.ID, false, ann); err != nil {
		t.Fatal(err)
	}
	n, err := sending.CancelSend(ctx, e.db, s.ID, ann)
	if err != nil || n != 1 { // the queued one; the two in flight stay theirs
		t.Fatalf("cancelled %d, %v", n, err)
	}
	if _, err := sending.CancelSend(ctx, e.db, s.ID, ann); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("cancelled twice: %v", err)
	}
	ov, err := sending.Status(ctx, e.db, "")
	if err != nil || len(ov.Sends) != 1 || ov.Sends[0].State != store.SendDone || len(ov.Sends[0].Problems) != 1 ||
		!strings.Contains(ov.Sends[0].Problems[0].Reply, "send cancelled by ann") {
		t.Fatalf("status after the cancel: %+v, %v", ov.Sends, err)
	}
	// Each action is in the list's audit log with who did it, whichever
	// edge called (CLI, console, API); the refused second cancel is not.
	log2, err := e.db.AuditLog(ctx, e.list(), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range log2 {
		if a.Address == "" {
			got = append(got, a.Action+" by "+a.Operator+": "+a.Reason)
		}
	}
	want := []string{"send paused by ann: send #%d", "send resumed by ann: send #%d", "send cancelled by ann: send #%d; 1 message(s) not sent"}
	for i := range want {
		want[i] = fmt.Sprintf(want[i], s.ID)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit log of the send's actions:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
