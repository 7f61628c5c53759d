package api_test

import (
	"bytes"
	"strings"
	"testing"
)

// TestIdempotencyKey: a retry with the same key and request gets the
// first answer, status and body, without running again; the same key with
// another body is 422; another token's same key is its own; an error
// answer is kept too.
func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	add := func(token, key, addr string) reply {
		return e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: token,
			body: map[string]any{"address": addr}, header: map[string]string{"Idempotency-Key": key}})
	}
	first := add(admin, "k-1", "a@example.org")
	if first.Status != 200 || first.json(t)["changed"] != true {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	// Meanwhile the member leaves: a replay says what the first answer said.
	e.do(req{method: "DELETE", path: "/api/v1/lists/news/members/a@example.org", token: admin})
	again := add(admin, "k-1", "a@example.org")
	if again.Status != first.Status || !bytes.Equal(again.Body, first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s", again.Status, again.Body)
	}
	if n := len(e.audit("news", "a@example.org")); n != 2 {
		t.Errorf("%d audit rows, want the add and the delete only", n)
	}
	other := add(admin, "k-1", "b@example.org")
	if other.Status != 422 || other.code(t) != "idempotency_mismatch" {
		t.Fatalf("same key, other body: %d %s", other.Status, other.Body)
	}
	if e.count("news") != 1 {
		t.Error("the mismatched request ran")
	}
	if r := add(news, "k-1", "b@example.org"); r.Status != 200 || r.json(t)["address"] != "b@example.org" {
		t.Fatalf("another token's key: %d %s", r.Status, r.Body)
	}
	refused := add(admin, "k-2", "a@example.org") // left: needs force
	if refused.Status != 409 {
		t.Fatalf("refused: %d %s", refused.Status, refused.Body)
	}
	if r := add(admin, strings.Repeat("k", 300), "c@example.org"); r.Status != 400 || e.count("news") != 2 {
		t.Errorf("a 300-character key: %d %s", r.Status, r.Body)
	}
	if r := add(admin, "k-2", "a@example.org"); r.Status != 409 || !bytes.Equal(r.Body, refused.Body) || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("refusal replayed: %d %s", r.Status, r.Body)
	}
}
