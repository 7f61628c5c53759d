package store_test

import (
	"context"
	"testing"
	"time"

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

// TestListWindows: the messages delivered and refused for good since a
// time, and the complaints, per list; what came before the time is left out.
func TestListWindows(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 3)
	q := db.Queue(s.ID)
	jobs, _ := q.Exchange(ctx, nil, 3, db.Now())
	q.Exchange(ctx, []delivery.Result{{JobID: jobs[0].ID, Outcome: delivery.Sent, At: db.Now()}}, 0, db.Now())
	since := db.Now()
	q.Exchange(ctx, []delivery.Result{{JobID: jobs[1].ID, Outcome: delivery.Sent, At: db.Now()},
		{JobID: jobs[2].ID, Outcome: delivery.Failed, Permanent: true, Reply: "550 no such user", At: db.Now()}}, 0, db.Now())
	l := listOf(t, db, "news")
	m, err := db.GetMember(ctx, l, jobs[1].Address)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, "complaint", func(tx *store.Tx) error {
		return tx.RecordComplaint(ctx, l, store.ComplaintRecord{Address: m.Address, SubscriberID: m.SubscriberID, SendID: s.ID, FeedbackType: "abuse"})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.ListWindows(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if w := got["news"]; len(got) != 1 || w.Delivered != 1 || w.Refused != 1 || w.Complaints != 1 {
		t.Fatalf("since the first message: %+v", got)
	}
	if got, _ := db.ListWindows(ctx, db.Now().Add(time.Hour)); len(got) != 0 {
		t.Errorf("an hour later: %+v", got)
	}
}
