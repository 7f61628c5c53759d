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
	if _, err := db.ApplyImport(ctx, listOf(b, db, "news"), rows, store.Evidence{Source: store.SourceImport}, false); err != nil {
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

// BenchmarkRecordBatched is the cost of recording one delivery as the
// sender does at concurrency 16: each round records 16 results and claims
// 16 jobs in one transaction. It runs on SQLite and then PostgreSQL
// (pgtest.Main); us/delivery is the figure to compare.
func BenchmarkRecordBatched(b *testing.B) {
	const batch = 16
	ctx := context.Background()
	db := MustOpenDB(b)
	l := mustList(b, db, "news")
	rows := make([]store.ImportRow, 50_000)
	for i := range rows {
		rows[i] = row(b, i+1, fmt.Sprintf("r%06d@example.org", i), store.Active)
	}
	if _, err := db.ApplyImport(ctx, listOf(b, db, "news"), rows, store.Evidence{Source: store.SourceImport}, false); err != nil {
		b.Fatal(err)
	}
	start := func(i int) (*store.SendQueue, []delivery.Job) {
		s, err := db.StartSend(ctx, store.NewSend{Issue: fmt.Sprintf("b%d", i), ListID: l.ID, Subject: "s", ContentHash: "h",
			MsgIDNonce: "n", MsgIDDomain: "x.org", LeaseOwner: "me", LeaseUntil: time.Now().Add(time.Hour)})
		if err != nil {
			b.Fatal(err)
		}
		q := db.QueueWith(s.ID, store.QueueOptions{Owner: "bench:1:a", Resend: true})
		jobs, _ := q.Exchange(ctx, nil, batch, time.Now())
		return q, jobs
	}
	q, jobs := start(0)
	recorded := 0
	b.ResetTimer()
	for i := range b.N {
		if len(jobs) == 0 {
			b.StopTimer()
			q, jobs = start(i)
			b.StartTimer()
		}
		res := make([]delivery.Result, len(jobs))
		for k, j := range jobs {
			res[k] = delivery.Result{JobID: j.ID, Outcome: delivery.Sent, Reply: "250 ok", At: time.Now()}
		}
		recorded += len(res)
		var err error
		if jobs, err = q.Exchange(ctx, res, batch, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(max(recorded, 1)), "us/delivery")
}
