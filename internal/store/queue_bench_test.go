package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/store"
)

// BenchmarkExchange measures one ledger round of a send at concurrency 1:
// record the last result and claim the next job, in one transaction.
func BenchmarkExchange(b *testing.B) {
	ctx := context.Background()
	db := MustOpenDB(b)
	l := mustList(b, db, "news")
	rows := make([]store.ImportRow, 20_000)
	for i := range rows {
		rows[i] = row(b, i+1, fmt.Sprintf("r%06d@example.org", i), store.Active)
	}
	if _, err := db.ApplyImport(ctx, "news", rows, store.Evidence{Source: store.SourceImport}, false); err != nil {
		b.Fatal(err)
	}
	// newQueue starts a send of the 20,000 members and claims its first job.
	newQueue := func(i int) (*store.SendQueue, []delivery.Job) {
		s, err := db.StartSend(ctx, store.NewSend{Issue: fmt.Sprintf("i%d", i), ListID: l.ID, Subject: "s", ContentHash: "h",
			MsgIDNonce: "n", MsgIDDomain: "x.org", LeaseOwner: "me", LeaseUntil: time.Now().Add(time.Hour)})
		if err != nil {
			b.Fatal(err)
		}
		q := db.Queue(s.ID)
		jobs, _ := q.Exchange(ctx, nil, 1, time.Now())
		return q, jobs
	}
	q, jobs := newQueue(0)
	b.ResetTimer()
	for i := range b.N {
		if len(jobs) == 0 { // this send is done: start another
			b.StopTimer()
			q, jobs = newQueue(i)
			b.StartTimer()
		}
		res := []delivery.Result{{JobID: jobs[0].ID, Outcome: delivery.Sent, Reply: "250 ok", At: time.Now()}}
		var err error
		if jobs, err = q.Exchange(ctx, res, 1, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
