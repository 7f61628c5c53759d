package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"mailer/internal/address"
	"mailer/internal/store"
)

func (e *env) member(list, addr string) *store.Member {
	e.t.Helper()
	m, err := e.db.GetMember(context.Background(), e.listOf(list), addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) listOf(name string) *store.List {
	e.t.Helper()
	l, err := e.db.GetList(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// audit is the audit log of addr on list.
func (e *env) audit(list, addr string) []store.AuditEntry {
	e.t.Helper()
	es, err := e.db.AuditLog(context.Background(), e.listOf(list), addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// TestMembers: add, look up, fill the name, remove, and re-add only with
// force, each through the owners' workflow and audited as the token.
func TestMembers(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	r := e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: admin, body: map[string]any{"address": "Alice@Example.org"}})
	v := r.json(t)
	if r.Status != 200 || v["changed"] != true || v["to"] != "active" || v["member"].(map[string]any)["status"] != "active" {
		t.Fatalf("add: %d %s", r.Status, r.Body)
	}
	if a := e.audit("news", "alice@example.org"); len(a) != 1 || a[0].Operator != "api:token admin" || a[0].Source != store.SourceAdmin {
		t.Fatalf("audit of the add: %+v", a)
	}
	path := "/api/v1/lists/news/members/" + url.PathEscape("alice@example.org")
	if r := e.do(req{method: "GET", path: path, token: reader}); r.Status != 200 || r.json(t)["address"] != "Alice@example.org" {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	r = e.do(req{method: "PATCH", path: path, token: admin, body: map[string]any{"name": "Alice A."}})
	if r.Status != 200 || r.json(t)["member"].(map[string]any)["name"] != "Alice A." {
		t.Fatalf("fill the name: %d %s", r.Status, r.Body)
	}
	if r := e.do(req{method: "PATCH", path: path, token: admin, body: map[string]any{"name": "Someone Else"}}); r.Status != 409 {
		t.Errorf("overwrite a name: %d %s", r.Status, r.Body)
	}
	r = e.do(req{method: "DELETE", path: path, token: admin})
	if r.Status != 200 || r.json(t)["to"] != "unsubscribed" || e.member("news", "alice@example.org").Status != store.Unsubscribed {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: admin, body: map[string]any{"address": "alice@example.org"}})
	if r.Status != 409 || r.code(t) != "conflict" || !strings.Contains(string(r.Body), `\"force\": true`) {
		t.Fatalf("re-add without force: %d %s", r.Status, r.Body)
	}
	if e.member("news", "alice@example.org").Status != store.Unsubscribed {
		t.Fatal("a refused re-add changed the member")
	}
	r = e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: admin, body: map[string]any{"address": "alice@example.org", "force": true}})
	if r.Status != 200 || r.json(t)["from"] != "unsubscribed" {
		t.Fatalf("re-add with force: %d %s", r.Status, r.Body)
	}
	a := e.audit("news", "alice@example.org")
	if last := a[len(a)-1]; !strings.Contains(last.Reason, "consent withdrawn") || last.Operator != "api:token admin" {
		t.Errorf("forced re-add's audit: %+v", last)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/lists/news/members/nobody@example.org", token: admin}); r.Status != 404 {
		t.Errorf("unknown member: %d %s", r.Status, r.Body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: admin, body: map[string]any{"address": "not an address"}}); r.Status != 400 || r.code(t) != "invalid" {
		t.Errorf("bad address: %d %s", r.Status, r.Body)
	}
}

// TestPatchStatus: active reactivates a bounced member (its score
// cleared), unsubscribed removes, and an owner cannot set the statuses
// only the member or their mail sets.
func TestPatchStatus(t *testing.T) {
	e := newEnv(t)
	l := e.list("news")
	ctx := context.Background()
	b, _ := address.Parse("bob@example.org")
	e.db.SetStatus(ctx, l, b, store.Active, store.Evidence{Source: store.SourceAdmin})
	e.db.SetStatus(ctx, l, b, store.Bounced, store.Evidence{Source: store.SourceEmail})
	path := "/api/v1/lists/news/members/bob@example.org"
	r := e.do(req{method: "PATCH", path: path, token: news, body: map[string]any{"status": "active"}})
	if r.Status != 200 || r.json(t)["from"] != "bounced" || e.member("news", "bob@example.org").Status != store.Active {
		t.Fatalf("reactivate: %d %s", r.Status, r.Body)
	}
	if a := e.audit("news", "bob@example.org"); a[len(a)-1].Action != "reactivated" || a[len(a)-1].Operator != "api:token news-bot" {
		t.Errorf("reactivation's audit: %+v", a[len(a)-1])
	}
	r = e.do(req{method: "PATCH", path: path, token: news, body: map[string]any{"status": "complained"}})
	if r.Status != 400 || !strings.Contains(string(r.Body), `field \"status\"`) {
		t.Errorf("set complained: %d %s", r.Status, r.Body)
	}
	r = e.do(req{method: "PATCH", path: path, token: news, body: map[string]any{"status": "unsubscribed", "reason": "asked by phone"}})
	if r.Status != 200 || e.member("news", "bob@example.org").Status != store.Unsubscribed {
		t.Fatalf("unsubscribe: %d %s", r.Status, r.Body)
	}
	if a := e.audit("news", "bob@example.org"); a[len(a)-1].Reason != "asked by phone" {
		t.Errorf("reason not kept: %+v", a[len(a)-1])
	}
	if r := e.do(req{method: "PATCH", path: path, token: news, body: map[string]any{"status": "active"}}); r.Status != 409 {
		t.Errorf("re-activate someone who left without force: %d %s", r.Status, r.Body)
	}
}

// TestMemberPages: cursor pages cover every member once, in order, with
// status and search filters.
func TestMemberPages(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	for i := range 7 {
		r := e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: admin, body: map[string]any{"address": fmt.Sprintf("m%d@example.org", i)}})
		if r.Status != 200 {
			t.Fatal(string(r.Body))
		}
	}
	e.do(req{method: "DELETE", path: "/api/v1/lists/news/members/m3@example.org", token: admin})
	var seen []string
	cursor, pages := "", 0
	for {
		r := e.do(req{method: "GET", path: "/api/v1/lists/news/members?limit=3&cursor=" + cursor, token: reader})
		v := r.json(t)
		for _, m := range v["items"].([]any) {
			seen = append(seen, m.(map[string]any)["address"].(string))
		}
		pages++
		next, _ := v["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if pages != 3 || len(seen) != 7 || seen[0] != "m0@example.org" || seen[6] != "m6@example.org" {
		t.Fatalf("%d pages: %v", pages, seen)
	}
	r := e.do(req{method: "GET", path: "/api/v1/lists/news/members?status=active&q=M", token: reader})
	if n := len(r.json(t)["items"].([]any)); n != 6 {
		t.Errorf("active matching M: %d %s", n, r.Body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/lists/news/members?status=unsubscribed", token: reader})
	if items := r.json(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["address"] != "m3@example.org" {
		t.Errorf("unsubscribed: %s", r.Body)
	}
	for _, bad := range []string{"status=gone", "limit=0", "limit=5000", "cursor=abc"} {
		if r := e.do(req{method: "GET", path: "/api/v1/lists/news/members?" + bad, token: reader, offDoc: true}); r.Status != 400 {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
}
