package store_test

import (
	"context"
	"testing"

	"mailer/internal/delivery"
	"mailer/internal/store"
)

// TestMemberCounts: one row per list and status, a list without members
// included with zeros, and the counts follow the members' moves.
func TestMemberCounts(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustList(t, db, "news")
	mustList(t, db, "empty")
	news := listOf(t, db, "news")
	for _, a := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		db.SetStatus(ctx, news, mustAddr(t, a), store.Active, admin)
	}
	db.SetStatus(ctx, news, mustAddr(t, "p@example.org"), store.Pending, admin)
	db.SetStatus(ctx, news, mustAddr(t, "c@example.org"), store.Unsubscribed, admin)
	got, err := db.MemberCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got["empty"]) != len(store.Statuses) || len(got["news"]) != len(store.Statuses) {
		t.Fatalf("counts %v", got)
	}
	want := map[store.Status]int{store.Active: 2, store.Pending: 1, store.Unsubscribed: 1}
	for _, st := range store.Statuses {
		if got["news"][st] != want[st] || got["empty"][st] != 0 {
			t.Errorf("%s: news %d (want %d), empty %d", st, got["news"][st], want[st], got["empty"][st])
		}
	}
}

// TestRunningSends: a running send with its queue's counts, the messages
// sent since a time, and a pause by the breaker told from a person's.
func TestRunningSends(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 3)
	q := db.Queue(s.ID)
	since := db.Now()
	jobs, _ := q.Exchange(ctx, nil, 2, db.Now())
	q.Exchange(ctx, []delivery.Result{{JobID: jobs[0].ID, Outcome: delivery.Sent, At: db.Now()},
		{JobID: jobs[1].ID, Outcome: delivery.Failed, Permanent: true, Reply: "550", At: db.Now()}}, 0, db.Now())
	got, err := db.RunningSends(ctx, since)
	if err != nil || len(got) != 1 {
		t.Fatalf("running %+v, %v", got, err)
	}
	r := got[0]
	if r.ID != s.ID || r.List != "news" || r.Counts.Sent != 1 || r.Counts.Failed != 1 || r.Counts.Queued != 1 || r.SentSince != 1 || r.Paused {
		t.Fatalf("running %+v", r)
	}
	if got, _ := db.RunningSends(ctx, db.Now().Add(1e9)); got[0].SentSince != 0 {
		t.Errorf("sent since later: %d", got[0].SentSince)
	}
	if err := db.PauseFor(ctx, s.ID, "complaints over 0.3%"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.RunningSends(ctx, since); !got[0].Paused || !got[0].ByMailer {
		t.Errorf("paused by the breaker: %+v", got[0])
	}
	if _, err := db.FinishSend(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := db.RunningSends(ctx, since); err != nil || len(got) != 0 {
		t.Errorf("after finishing: %+v, %v", got, err)
	}
}
