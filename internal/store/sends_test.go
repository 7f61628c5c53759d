package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/store"
)

func startTestSend(t *testing.T, db *store.DB, members int) *store.Send {
	t.Helper()
	ctx := context.Background()
	l := mustList(t, db, "news")
	for i := range members {
		db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "r"+string(rune('a'+i))+"@example.org"), store.Active, admin)
	}
	db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "pending@example.org"), store.Pending, admin)
	s, err := db.StartSend(ctx, store.NewSend{Issue: "issue-01", ListID: l.ID, Subject: "S", ContentHash: "h",
		MsgIDNonce: "issue-01.abc", MsgIDDomain: "lists.example.org", LeaseOwner: "me", LeaseUntil: db.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStartSendSnapshotsActiveMembers(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 3)
	if s.Total != 3 || s.Counts.Queued != 3 || s.State != store.SendSending {
		t.Fatalf("send %+v", s)
	}
	// Someone who joins later is not in this send.
	db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "late@example.org"), store.Active, admin)
	jobs, err := db.Queue(s.ID).Exchange(ctx, nil, 10, db.Now())
	if err != nil || len(jobs) != 3 {
		t.Fatalf("claimed %d, %v", len(jobs), err)
	}
	for _, j := range jobs {
		if j.Address == "late@example.org" || !strings.HasPrefix(j.MessageID, "issue-01.abc.") || !strings.HasSuffix(j.MessageID, "@lists.example.org") {
			t.Fatalf("job %+v", j)
		}
	}
}

func TestExchangeRecordsAndClaimsDueWork(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 3)
	q := db.Queue(s.ID)
	now := db.Now()
	jobs, _ := q.Exchange(ctx, nil, 2, now)
	if len(jobs) != 2 {
		t.Fatalf("claimed %d", len(jobs))
	}
	c, _ := q.Counts(ctx)
	if c.Sending != 2 || c.Queued != 1 {
		t.Fatalf("counts %+v", c)
	}
	later := now.Add(time.Hour)
	more, err := q.Exchange(ctx, []delivery.Result{
		{JobID: jobs[0].ID, Outcome: delivery.Sent, Reply: "250 ok", At: now},
		{JobID: jobs[1].ID, Outcome: delivery.Deferred, Reply: "451 later", NextAttempt: later, At: now},
	}, 5, now)
	if err != nil || len(more) != 1 {
		t.Fatalf("second claim %d, %v: the deferred job is not due yet", len(more), err)
	}
	q.Exchange(ctx, []delivery.Result{{JobID: more[0].ID, Outcome: delivery.Failed, Permanent: true, Reply: "550 no", At: now}}, 0, now)
	next, pending, _ := q.NextDue(ctx)
	if !pending || !next.Equal(later.UTC()) {
		t.Fatalf("NextDue %v %v, want %v", next, pending, later)
	}
	due, _ := q.Exchange(ctx, nil, 5, later.Add(time.Second))
	if len(due) != 1 || due[0].ID != jobs[1].ID || due[0].Attempts != 1 {
		t.Fatalf("due %+v", due)
	}
	c, _ = q.Counts(ctx)
	if c.Sent != 1 || c.Failed != 1 || c.Sending != 1 {
		t.Fatalf("counts %+v", c)
	}
	sent, _ := db.SentSince(ctx, now.Add(-time.Minute))
	if len(sent) != 1 {
		t.Fatalf("SentSince %d", len(sent))
	}
}

func TestRecoverInFlight(t *testing.T) {
	ctx := context.Background()
	for _, resend := range []bool{true, false} {
		db := MustOpenDB(t)
		s := startTestSend(t, db, 3)
		db.Queue(s.ID).Exchange(ctx, nil, 2, db.Now())
		n, err := db.RecoverInFlight(ctx, s.ID, resend, nil)
		if err != nil || n != 2 {
			t.Fatalf("recovered %d, %v", n, err)
		}
		c, _ := db.Queue(s.ID).Counts(ctx)
		if resend && (c.Queued != 3 || c.Sending != 0) || !resend && (c.Failed != 2 || c.Queued != 1) {
			t.Fatalf("resend=%v counts %+v", resend, c)
		}
	}
}

func TestLease(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 1)
	err := db.TakeLease(ctx, s.ID, "other", db.Now().Add(time.Minute), nil)
	if fault.CodeOf(err) != fault.Conflict || !strings.Contains(err.Error(), "another mailer process (me)") {
		t.Fatalf("second owner: %v", err)
	}
	if err := db.TakeLease(ctx, s.ID, "other", db.Now().Add(time.Minute), func(h string) bool { return h == "me" }); err != nil {
		t.Fatalf("stealing from a dead holder: %v", err)
	}
	if err := db.RenewLease(ctx, s.ID, "me", db.Now().Add(time.Minute)); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("the old holder renewed a lost lease: %v", err)
	}
	db.ReleaseLease(ctx, s.ID, "other")
	if err := db.TakeLease(ctx, s.ID, "third", db.Now().Add(time.Minute), nil); err != nil {
		t.Fatalf("after release: %v", err)
	}
	// An expired lease lapses by itself.
	past := db.Now().Add(-time.Second)
	db.TakeLease(ctx, s.ID, "third", past, nil)
	if err := db.TakeLease(ctx, s.ID, "fourth", db.Now().Add(time.Minute), nil); err != nil {
		t.Fatalf("expired lease: %v", err)
	}
}

// TestClaimSkipsReadersWhoLeft: the hand-over checks the membership, for a
// first attempt, a due retry and a resumed send alike.
func TestClaimSkipsReadersWhoLeft(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 3) // ra, rb, rc
	q := db.Queue(s.ID)
	now := db.Now()
	jobs, err := q.Exchange(ctx, nil, 1, now)
	if err != nil || len(jobs) != 1 || jobs[0].Address != "ra@example.org" {
		t.Fatalf("claimed %+v, %v", jobs, err)
	}
	// ra is deferred; then ra and rb leave.
	res := []delivery.Result{{JobID: jobs[0].ID, Outcome: delivery.Deferred, Reply: "451 later", At: now, NextAttempt: now.Add(time.Minute)}}
	if _, err := q.Exchange(ctx, res, 0, now); err != nil {
		t.Fatal(err)
	}
	db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "ra@example.org"), store.Unsubscribed, admin)
	db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "rb@example.org"), store.Unsubscribed, admin)
	// A fresh queue, as a resumed process has.
	q = db.Queue(s.ID)
	jobs, err = q.Exchange(ctx, nil, 10, now.Add(2*time.Minute))
	if err != nil || len(jobs) != 1 || jobs[0].Address != "rc@example.org" {
		t.Fatalf("claimed %+v, %v", jobs, err)
	}
	c, _ := q.Counts(ctx)
	if c.Skipped != 2 || c.Deferred != 0 || c.Queued != 0 {
		t.Fatalf("counts %+v", c)
	}
	if _, pending, _ := q.NextDue(ctx); pending {
		t.Fatal("skipped rows still pending")
	}
	probs, _ := db.Problems(ctx, s.ID, 10)
	if len(probs) != 2 || probs[0].State != store.DeliverySkipped || !strings.Contains(probs[0].Reply, "unsubscribed") {
		t.Fatalf("problems %+v", probs)
	}
}
