package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestLists: the lists a token may see, each with the CLI's fields; one
// list with its health; a list another token is scoped away from is as
// absent as one that does not exist.
func TestLists(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	e.list("other")
	r := e.do(req{method: "GET", path: "/api/v1/lists", token: admin})
	items := r.json(t)["items"].([]any)
	if r.Status != 200 || len(items) != 2 || items[0].(map[string]any)["name"] != "news" {
		t.Fatalf("admin's lists: %d %s", r.Status, r.Body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/lists", token: news})
	if items := r.json(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["name"] != "news" {
		t.Fatalf("news-bot's lists: %s", r.Body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/lists/news?days=7", token: news})
	v := r.json(t)
	if r.Status != 200 || v["list"].(map[string]any)["name"] != "news" || len(v["days"].([]any)) != 7 {
		t.Fatalf("news with health: %d %s", r.Status, r.Body)
	}
	if v["limits"].(map[string]any)["complaint_rate"].(float64) <= 0 {
		t.Errorf("health without the breaker's limits: %s", r.Body)
	}
	hidden := e.do(req{method: "GET", path: "/api/v1/lists/other", token: news})
	missing := e.do(req{method: "GET", path: "/api/v1/lists/nosuch", token: admin})
	if hidden.Status != 404 || missing.Status != 404 || hidden.code(t) != "not_found" {
		t.Fatalf("hidden %d %s, missing %d", hidden.Status, hidden.Body, missing.Status)
	}
	if !strings.Contains(string(hidden.Body), `no list named \"other\"`) {
		t.Errorf("hidden list's answer differs from a missing one's: %s", hidden.Body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/lists/news?days=0", token: admin}); r.Status != 400 || !strings.Contains(string(r.Body), "days") {
		t.Errorf("days=0: %d %s", r.Status, r.Body)
	}
}

// TestUnauthenticated: no token, another scheme, a wrong or revoked token
// are 401 with WWW-Authenticate: Bearer (RFC 6750 §3), and show nothing.
func TestUnauthenticated(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	for name, h := range map[string]string{"none": "", "basic": "Basic YTpi", "empty": "Bearer ", "wrong": "Bearer mlr_wrong", "revoked": "Bearer " + revoked, "not ours": "Bearer x" + admin} {
		r := e.do(req{method: "GET", path: "/api/v1/lists", header: map[string]string{"Authorization": h}})
		if r.Status != http.StatusUnauthorized || r.code(t) != "unauthenticated" || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %q %s", name, r.Status, r.Header.Get("WWW-Authenticate"), r.Body)
		}
		if strings.Contains(string(r.Body), "news") {
			t.Errorf("%s: a list's name in a 401: %s", name, r.Body)
		}
	}
}

// TestErrors: unknown paths are 404 and wrong methods 405 with Allow,
// both as JSON errors; a broken body is 400 naming what is wrong; a body
// over the cap is 413.
func TestErrors(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	r := e.do(req{method: "GET", path: "/api/v1/nothing", token: admin, offDoc: true})
	if r.Status != 404 || r.code(t) != "not_found" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("unknown path: %d %s", r.Status, r.Body)
	}
	r = e.do(req{method: "PUT", path: "/api/v1/lists/news/members", token: admin, body: "{}", offDoc: true})
	if r.Status != 405 || r.code(t) != "method_not_allowed" || r.Header.Get("Allow") != "GET, POST" {
		t.Errorf("wrong method: %d Allow %q %s", r.Status, r.Header.Get("Allow"), r.Body)
	}
	for body, want := range map[string]string{
		`{"address": `:                        "not JSON",
		`{"address": 5}`:                      `field \"address\"`,
		`{"address": "a@example.org", "x":1}`: `unknown field \"x\"`,
		``:                                    "needs a JSON body",
		`{"name": "A"}`:                       `field \"address\": required`,
	} {
		r := e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: admin, body: body, offDoc: true})
		if r.Status != 400 || r.code(t) != "invalid" || !strings.Contains(string(r.Body), want) {
			t.Errorf("body %q: %d %s, want 400 saying %s", body, r.Status, r.Body, want)
		}
	}
	big := `{"address": "a@example.org", "name": "` + strings.Repeat("x", 2<<20) + `"}`
	r = e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: admin, body: big, offDoc: true})
	if r.Status != 413 || r.code(t) != "too_large" {
		t.Errorf("2 MiB body: %d %.200s", r.Status, r.Body)
	}
	if n := e.count("news"); n != 0 {
		t.Errorf("%d members after refused requests", n)
	}
}
