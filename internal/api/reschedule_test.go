package api_test

import (
	"strings"
	"testing"
	"time"
)

// TestScheduleTwiceNeedsReplace: a second POST /api/v1/sends of a
// scheduled issue is a 409 naming both times that changes nothing, for a
// time and for now; with "replace": true it replaces the first and the
// answer names the one replaced (both answers checked against the
// document, as every answer of these tests).
func TestScheduleTwiceNeedsReplace(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	first := e.app.Now().Add(24 * time.Hour).UTC().Truncate(time.Minute)
	second := first.Add(90 * time.Minute)
	r := e.do(req{method: "POST", path: "/api/v1/sends", token: admin, body: map[string]any{"issue": "issue-06", "list": "news", "at": first}})
	sc := r.json(t)
	if r.Status != 201 || sc["replaced"] != nil {
		t.Fatalf("first schedule: %d %s", r.Status, r.Body)
	}
	for _, body := range []map[string]any{
		{"issue": "issue-06", "list": "news", "at": second},
		{"issue": "issue-06", "list": "news"},
	} {
		r := e.do(req{method: "POST", path: "/api/v1/sends", token: admin, body: body})
		msg, _ := r.json(t)["error"].(map[string]any)["message"].(string)
		if r.Status != 409 || !strings.Contains(msg, "already scheduled") || !strings.Contains(msg, first.Format("2006-01-02 15:04 UTC")) {
			t.Fatalf("%v without replace: %d %s", body, r.Status, r.Body)
		}
		if body["at"] != nil && !strings.Contains(msg, second.Format("2006-01-02 15:04 UTC")) {
			t.Errorf("the refusal does not name the time asked: %s", msg)
		}
	}
	if r := e.do(req{method: "GET", path: "/api/v1/sends", token: reader}); len(r.json(t)["scheduled"].([]any)) != 1 ||
		r.json(t)["scheduled"].([]any)[0].(map[string]any)["due_at"] != first.Format(time.RFC3339) {
		t.Fatalf("after the refusals: %s", r.Body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/sends", token: admin, body: map[string]any{"issue": "issue-06", "list": "news", "at": second, "replace": true}})
	nsc := r.json(t)
	rep, _ := nsc["replaced"].(map[string]any)
	if r.Status != 201 || nsc["due_at"] != second.Format(time.RFC3339) || rep == nil || rep["id"] != sc["id"] || rep["due_at"] != first.Format(time.RFC3339) {
		t.Fatalf("replace: %d %s", r.Status, r.Body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/sends", token: reader})
	if s := r.json(t)["scheduled"].([]any); len(s) != 1 || s[0].(map[string]any)["id"] != nsc["id"] {
		t.Fatalf("after replacing: %s", r.Body)
	}
}
