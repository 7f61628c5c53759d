package api_test

import (
	"context"
	"strings"
	"testing"

	"mailer/internal/address"
	"mailer/internal/store"
)

// concrete fills a route pattern with names that exist.
func concrete(pattern string) string {
	return strings.NewReplacer("{list}", "news", "{address}", "a@example.org", "{id}", "1").Replace(pattern)
}

// TestReadTokenChangesNothing: every changing route of the table refuses a
// read token with 403, before looking anything up, and nothing changes.
func TestReadTokenChangesNothing(t *testing.T) {
	e := newEnv(t)
	l := e.list("news")
	a, _ := address.Parse("a@example.org")
	e.db.SetStatus(context.Background(), l, a, store.Active, store.Evidence{Source: store.SourceAdmin})
	changing := e.api.Changing()
	if len(changing) != 8 {
		t.Fatalf("only %d changing routes: %v", len(changing), changing)
	}
	for _, rt := range changing {
		method, pattern, _ := strings.Cut(rt, " ")
		body := any(`{}`)
		hdr := map[string]string{}
		if strings.HasSuffix(pattern, "/import") {
			body, hdr["Content-Type"] = "email\nb@example.org\n", "text/csv"
		}
		r := e.do(req{method: method, path: concrete(pattern), token: reader, body: body, header: hdr, offDoc: true})
		if r.Status != 403 || r.code(t) != "forbidden" {
			t.Errorf("%s with a read token: %d %s", rt, r.Status, r.Body)
		}
	}
	if n := e.count("news"); n != 1 || e.member("news", "a@example.org").Status != store.Active {
		t.Errorf("read token changed members: %d", n)
	}
	if a := e.audit("news", ""); len(a) != 1 {
		t.Errorf("audit after refused changes: %+v", a)
	}
}

// TestListScopedToken: a token for one list reads and changes it, and
// sees no other: their members, bounces, audit and sends are 404 or
// filtered out, never 403 (which would say the list exists).
func TestListScopedToken(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	e.list("other")
	for _, l := range []string{"news", "other"} {
		if r := e.do(req{method: "POST", path: "/api/v1/lists/" + l + "/members", token: admin, body: map[string]any{"address": "x@" + l + ".example"}}); r.Status != 200 {
			t.Fatal(string(r.Body))
		}
	}
	if r := e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: news, body: map[string]any{"address": "y@example.org"}}); r.Status != 200 {
		t.Fatalf("own list: %d %s", r.Status, r.Body)
	}
	for _, p := range []string{"/members", "/members/x@other.example", "/bounces", "/complaints", ""} {
		if r := e.do(req{method: "GET", path: "/api/v1/lists/other" + p, token: news}); r.Status != 404 {
			t.Errorf("GET other%s: %d %s", p, r.Status, r.Body)
		}
	}
	for _, r := range []req{
		{method: "POST", path: "/api/v1/lists/other/members", body: map[string]any{"address": "z@example.org"}},
		{method: "DELETE", path: "/api/v1/lists/other/members/x@other.example"},
		{method: "PATCH", path: "/api/v1/lists/other/members/x@other.example", body: map[string]any{"status": "unsubscribed"}},
		{method: "POST", path: "/api/v1/lists/other/import", body: "email\nz@example.org\n", header: map[string]string{"Content-Type": "text/csv"}},
	} {
		r.token = news
		if got := e.do(r); got.Status != 404 {
			t.Errorf("%s %s: %d %s", r.method, r.path, got.Status, got.Body)
		}
	}
	if r := e.do(req{method: "GET", path: "/api/v1/audit?list=other", token: news}); r.Status != 404 {
		t.Errorf("audit of other: %d", r.Status)
	}
	r := e.do(req{method: "GET", path: "/api/v1/audit", token: news})
	for _, it := range r.json(t)["items"].([]any) {
		if it.(map[string]any)["list"] != "news" {
			t.Errorf("news-bot sees the audit of %v", it)
		}
	}
	if n := len(r.json(t)["items"].([]any)); n != 2 {
		t.Errorf("news-bot's audit: %d rows, want 2", n)
	}
	if e.count("other") != 1 || e.member("other", "x@other.example").Status != store.Active {
		t.Error("the other list changed")
	}
}
