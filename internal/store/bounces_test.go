package store_test

import (
	"context"
	"testing"
	"time"

	"mailer/internal/store"
)

func TestBounceScore(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "b@example.org"), store.Active, admin)
	day := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return day }
	p := store.BouncePolicy{Threshold: 3, Window: 7 * 24 * time.Hour}
	up, err := db.RecordBounce(ctx, listOf(t, db, "news"), "B@example.org", true, "550 5.1.1 unknown", p)
	if err != nil || !up.Member || !up.Counted || up.Score != 1 {
		t.Fatalf("first: %+v %v", up, err)
	}
	// The same day: not counted again.
	if up, _ := db.RecordBounce(ctx, listOf(t, db, "news"), "b@example.org", true, "again", p); up.Counted || up.Score != 1 {
		t.Fatalf("same day: %+v", up)
	}
	day = day.Add(24 * time.Hour)
	if up, _ := db.RecordBounce(ctx, listOf(t, db, "news"), "b@example.org", false, "mailbox full", p); up.Score != 1.5 {
		t.Fatalf("soft: %+v", up)
	}
	// After the window the score starts over.
	day = day.Add(8 * 24 * time.Hour)
	if up, _ := db.RecordBounce(ctx, listOf(t, db, "news"), "b@example.org", true, "x", p); up.Score != 1 {
		t.Fatalf("after the window: %+v", up)
	}
	day = day.Add(24 * time.Hour)
	db.RecordBounce(ctx, listOf(t, db, "news"), "b@example.org", true, "x", p)
	day = day.Add(24 * time.Hour)
	up, _ = db.RecordBounce(ctx, listOf(t, db, "news"), "b@example.org", true, "550 gone", p)
	if !up.Disabled || up.Score != 3 {
		t.Fatalf("threshold: %+v", up)
	}
	m, _ := db.GetMember(ctx, listOf(t, db, "news"), "b@example.org")
	if m.Status != store.Bounced {
		t.Fatalf("status %s", m.Status)
	}
	log, _ := db.AuditLog(ctx, listOf(t, db, "news"), "b@example.org")
	if last := log[len(log)-1]; last.Action != "bounced" || last.Operator != "bounce processing" {
		t.Fatalf("audit %+v", last)
	}
	bs, _ := db.Bounces(ctx, listOf(t, db, "news"))
	if len(bs) != 1 || bs[0].Score != 3 || bs[0].LastReason != "550 gone" || bs[0].Status != store.Bounced {
		t.Fatalf("bounces %+v", bs)
	}
	if up, _ := db.RecordBounce(ctx, listOf(t, db, "news"), "stranger@example.org", true, "x", p); up.Member {
		t.Fatal("a stranger's bounce was counted")
	}
	db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "b@example.org"), store.Active, admin)
	db.ResetBounces(ctx, listOf(t, db, "news"), "b@example.org")
	if bs, _ := db.Bounces(ctx, listOf(t, db, "news")); len(bs) != 0 {
		t.Fatalf("after reset: %+v", bs)
	}
}
