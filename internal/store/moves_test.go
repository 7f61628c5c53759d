package store_test

import (
	"context"
	"testing"
	"time"

	"mailer/internal/store"
)

// TestMoves counts joins and departures per day from the audit log: a
// pending member confirming is a join, an active one leaving, bouncing or
// reported is a departure, a pending one who never confirmed is neither,
// and days before since are left out.
func TestMoves(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	day := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return day }
	l := listOf(t, db, "news")
	set := func(addr string, st store.Status) {
		t.Helper()
		if _, err := db.SetStatus(ctx, l, mustAddr(t, addr), st, admin); err != nil {
			t.Fatal(err)
		}
	}
	set("old@example.org", store.Active) // before the range
	day = day.Add(24 * time.Hour)
	set("a@example.org", store.Active)
	set("b@example.org", store.Pending)
	set("b@example.org", store.Active)
	set("c@example.org", store.Pending)
	day = day.Add(48 * time.Hour)
	set("a@example.org", store.Unsubscribed)
	set("b@example.org", store.Complained)
	set("c@example.org", store.Unsubscribed) // never active: no departure
	got, err := db.Moves(ctx, listOf(t, db, "news"), time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DayMoves{{Day: "2026-11-02", Joined: 2}, {Day: "2026-11-04", Left: 2}}
	if len(got) != len(want) {
		t.Fatalf("moves %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("day %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
