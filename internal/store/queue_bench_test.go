package store_test

import (
	"context"
	"fmt"
	"strings"
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
	var csv strings.Builder
	for i := range 20_000 {
		fmt.Fprintf(&csv, "r%06d@example.org\n", i)
	}
	if _, err := db.Import(ctx, "news", strings.NewReader(csv.String()), store.Evidence{Source: store.SourceImport}); err != nil {
		b.Fatal(err)
	}
	s, err := db.StartSend(ctx, store.NewSend{Issue: "i", ListID: l.ID, Subject: "s", ContentHash: "h", MsgIDNonce: "n", MsgIDDomain: "x.org", LeaseOwner: "me", LeaseUntil: time.Now().Add(time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	q := db.Queue(s.ID)
	jobs, _ := q.Exchange(ctx, nil, 1, time.Now())
	b.ResetTimer()
	for range b.N {
		if len(jobs) == 0 {
			b.StopTimer()
			db.RequeueFailed(ctx, s.ID) // never happens within 20,000 rounds
			b.StartTimer()
		}
		res := []delivery.Result{{JobID: jobs[0].ID, Outcome: delivery.Sent, Reply: "250 ok", At: time.Now()}}
		if jobs, err = q.Exchange(ctx, res, 1, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
