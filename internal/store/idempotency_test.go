package store_test

import (
	"context"
	"testing"
	"time"

	"mailer/internal/store"
)

// TestIdempotencyKeys: the first request claims a key; a retry sees it
// running, then its answer; another caller's same key is its own; a
// released key is claimed again; after a day the key is forgotten.
func TestIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	req := store.Idempotent{Caller: "api:token a", Key: "k1", Method: "POST", Path: "/api/v1/lists/news/members", RequestHash: "h1"}
	if _, claimed, err := db.ClaimIdempotency(ctx, req); !claimed || err != nil {
		t.Fatalf("first claim: %v %v", claimed, err)
	}
	first, claimed, err := db.ClaimIdempotency(ctx, req)
	if claimed || err != nil || first.Status != 0 || first.RequestHash != "h1" {
		t.Fatalf("retry while running: %+v %v %v", first, claimed, err)
	}
	if err := db.FinishIdempotency(ctx, req.Caller, req.Key, 201, []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	first, claimed, _ = db.ClaimIdempotency(ctx, req)
	if claimed || first.Status != 201 || string(first.Body) != `{"ok":true}` || first.Path != req.Path {
		t.Fatalf("retry after: %+v %v", first, claimed)
	}
	other := req
	other.Caller = "api:token b"
	if _, claimed, _ := db.ClaimIdempotency(ctx, other); !claimed {
		t.Fatal("another caller's key was taken as this one's")
	}
	if err := db.ReleaseIdempotency(ctx, other.Caller, other.Key); err != nil {
		t.Fatal(err)
	}
	if _, claimed, _ := db.ClaimIdempotency(ctx, other); !claimed {
		t.Fatal("a released key was not claimed again")
	}
	now = now.Add(store.IdempotencyTTL + time.Minute)
	if _, claimed, _ := db.ClaimIdempotency(ctx, req); !claimed {
		t.Fatal("a key older than a day was not forgotten")
	}
}
