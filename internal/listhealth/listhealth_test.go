package listhealth_test

import (
	"context"
	"os"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/delivery"
	"mailer/internal/listhealth"
	"mailer/internal/pgtest"
	"mailer/internal/sending"
	"mailer/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var admin = store.Evidence{Source: store.SourceAdmin, Operator: "test"}

// TestHealth: the chart has every day of the range with the joins and
// departures of the audit log; a send's rates count its refusals and the
// bounce reports tied to it against its attempts, and complaints against
// its deliveries; another list's sends are not this list's.
func TestHealth(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(t, "h.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	news, _ := db.CreateList(ctx, "news", store.ListSettings{})
	other, _ := db.CreateList(ctx, "other", store.ListSettings{})
	join := func(l *store.List, addr string, st store.Status) {
		a, _ := address.Parse(addr)
		if _, err := db.SetStatus(ctx, l, a, st, admin); err != nil {
			t.Fatal(err)
		}
	}
	now = now.AddDate(0, 0, -2)
	for _, a := range []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"} {
		join(news, a, store.Active)
	}
	join(other, "x@example.org", store.Active)
	now = now.AddDate(0, 0, 2)
	s := startSend(t, db, news)
	jobs, _ := db.Queue(s.ID).Exchange(ctx, nil, 10, now)
	var results []delivery.Result
	for i, j := range jobs {
		r := delivery.Result{JobID: j.ID, Outcome: delivery.Sent, Reply: "250", At: now}
		if i == 0 {
			r = delivery.Result{JobID: j.ID, Outcome: delivery.Failed, Permanent: true, Reply: "550 5.1.1 gone", At: now}
		}
		results = append(results, r)
	}
	db.Queue(s.ID).Exchange(ctx, results, 0, now)
	if ok, err := db.RecordSendBounce(ctx, news, s.ID, jobs[1].Address, true); !ok || err != nil {
		t.Fatalf("bounce report: %v %v", ok, err)
	}
	join(news, jobs[2].Address, store.Unsubscribed)
	startSend(t, db, other)

	p := sending.BreakerPolicy{BounceRate: 10, ComplaintRate: 0.3, MinAttempts: 100, Window: 500}
	h, err := listhealth.Of(ctx, db, listOf(t, db, "news"), p, listhealth.Options{Days: 7, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Days) != 7 || h.Days[0].Day != "2026-11-24" || h.Days[6].Day != "2026-11-30" {
		t.Fatalf("days %+v", h.Days)
	}
	if h.Days[4] != (listhealth.Day{Day: "2026-11-28", Joined: 4}) || h.Days[6] != (listhealth.Day{Day: "2026-11-30", Left: 1}) {
		t.Fatalf("moves %+v", h.Days)
	}
	if len(h.Sends) != 1 {
		t.Fatalf("sends %+v", h.Sends)
	}
	r := h.Sends[0]
	if r.ID != s.ID || r.Delivered != 3 || r.HardBounces != 2 || r.BounceRate != 50 || r.Complaints != 0 {
		t.Fatalf("rates %+v", r)
	}
	if h.Limits.BounceRate != 10 || h.Limits.ComplaintRate != 0.3 {
		t.Fatalf("limits %+v", h.Limits)
	}
}

func startSend(t *testing.T, db *store.DB, l *store.List) *store.Send {
	t.Helper()
	s, err := db.StartSend(context.Background(), store.NewSend{Issue: "i", Subject: "s", ContentHash: "h", ListID: l.ID,
		MsgIDNonce: "i." + l.Name, MsgIDDomain: "lists.example.org", LeaseOwner: "t", LeaseUntil: db.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func listOf(t *testing.T, db *store.DB, name string) *store.List {
	t.Helper()
	l, err := db.GetList(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
