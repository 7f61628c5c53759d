package store_test

import (
	"context"
	"testing"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/store"
)

// TestSharedRateAcrossWorkers: two workers on one send with a rate of 1
// a second and a burst of 2 get 2 messages between them at once, then none
// until the rate allows one more, and NextDue says when. The rate is about
// real time (shared.go), so it is slow enough that a loaded machine's pause
// between two claims (once over 100 ms at 10/s) cannot refill it.
func TestSharedRateAcrossWorkers(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 6)
	if err := db.SetRate(ctx, s.ID, 1, 2); err != nil {
		t.Fatal(err)
	}
	a := db.QueueWith(s.ID, store.QueueOptions{Owner: "host:1:a", Resend: true})
	b := db.QueueWith(s.ID, store.QueueOptions{Owner: "host:2:b", Resend: true})
	ja, err := a.Exchange(ctx, nil, 5, db.Now())
	if err != nil {
		t.Fatal(err)
	}
	before := db.Now() // the test clock steps a second per reading
	jb, err := b.Exchange(ctx, nil, 5, db.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(ja)+len(jb) != 2 {
		t.Fatalf("claimed %d + %d at once, want the burst of 2", len(ja), len(jb))
	}
	next, pending, err := b.NextDue(ctx)
	if err != nil || !pending || !next.After(before) {
		t.Fatalf("NextDue %v %v %v: want a time after now", next, pending, err)
	}
	time.Sleep(1100 * time.Millisecond) // the rate allows 1 more by now, the burst at most 2
	more, err := b.Exchange(ctx, nil, 5, db.Now())
	if err != nil || len(more) == 0 || len(more) > 2 {
		t.Fatalf("after 1.1 s at 1/s: %d claimed, %v", len(more), err)
	}
}

// TestClaimsOfAStoppedWorkerComeBack: rows a worker claimed come back to
// another one when that worker is gone, not while it lives; and own claims
// are never taken back.
func TestClaimsOfAStoppedWorkerComeBack(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 4)
	dead := map[string]bool{}
	gone := func(o string) bool { return dead[o] }
	a := db.QueueWith(s.ID, store.QueueOptions{Owner: "host:1:a", Gone: gone, Resend: true})
	b := db.QueueWith(s.ID, store.QueueOptions{Owner: "host:2:b", Gone: gone, Resend: true})
	ja, _ := a.Exchange(ctx, nil, 3, db.Now())
	jb, _ := b.Exchange(ctx, nil, 3, db.Now())
	if len(ja) != 3 || len(jb) != 1 {
		t.Fatalf("claimed %d and %d of 4", len(ja), len(jb))
	}
	if n, _ := db.RecoverInFlight(ctx, s.ID, true, gone); n != 0 {
		t.Fatalf("recovered %d rows of live workers", n)
	}
	dead["host:1:a"] = true
	time.Sleep(1100 * time.Millisecond) // reclaimEvery
	again, err := b.Exchange(ctx, []delivery.Result{{JobID: jb[0].ID, Outcome: delivery.Sent, Reply: "250", At: db.Now()}}, 5, db.Now())
	if err != nil || len(again) != 3 {
		t.Fatalf("after a's end b claims %d (%v), want a's 3", len(again), err)
	}
}

// TestCapsAcrossWorkers: an hourly cap of 3 holds for two workers
// together, messages in flight included; with no room NextDue says when
// the oldest message leaves the hour.
func TestCapsAcrossWorkers(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 6)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	a := db.QueueWith(s.ID, store.QueueOptions{Owner: "host:1:a", Resend: true, PerHour: 3})
	b := db.QueueWith(s.ID, store.QueueOptions{Owner: "host:2:b", Resend: true, PerHour: 3})
	ja, _ := a.Exchange(ctx, nil, 2, now)
	jb, _ := b.Exchange(ctx, nil, 5, now)
	if len(ja) != 2 || len(jb) != 1 {
		t.Fatalf("claimed %d and %d under a cap of 3", len(ja), len(jb))
	}
	sent := func(jobs []delivery.Job, at time.Time) []delivery.Result {
		var out []delivery.Result
		for _, j := range jobs {
			out = append(out, delivery.Result{JobID: j.ID, Outcome: delivery.Sent, Reply: "250", At: at})
		}
		return out
	}
	a.Exchange(ctx, sent(ja, now), 0, now)
	more, _ := b.Exchange(ctx, sent(jb, now.Add(time.Minute)), 5, now.Add(time.Minute))
	if len(more) != 0 {
		t.Fatalf("claimed %d over the cap", len(more))
	}
	next, pending, err := b.NextDue(ctx)
	if err != nil || !pending || !next.Equal(now.Add(time.Hour)) {
		t.Fatalf("NextDue %v %v %v, want %v", next, pending, err, now.Add(time.Hour))
	}
	later, _ := b.Exchange(ctx, nil, 5, now.Add(time.Hour+time.Second))
	if len(later) != 2 {
		t.Fatalf("an hour on: %d claimed, want the 2 that left the window", len(later))
	}
}

// TestWorkerGoneWhenItsSessionEnds: on PostgreSQL a worker is known to be
// gone the moment its session ends, from any connection; on SQLite the
// store cannot tell (the process table does).
func TestWorkerGoneWhenItsSessionEnds(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	release, err := db.HoldWorker(ctx, "far:1:a")
	if err != nil {
		t.Fatal(err)
	}
	if db.WorkerGone(ctx, "far:1:a") {
		t.Fatal("a running worker is said to be gone")
	}
	release()
	if got, want := db.WorkerGone(ctx, "far:1:a"), store.IsURL(db.Path()); got != want {
		t.Fatalf("after its session ended: gone %v, want %v", got, want)
	}
	if db.WorkerGone(ctx, "far:1:a") != store.IsURL(db.Path()) {
		t.Fatal("asking twice changes the answer")
	}
}
