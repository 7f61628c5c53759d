package api_test

import (
	"context"
	"strings"
	"testing"

	"mailer/internal/address"
	"mailer/internal/store"
)

func (e *env) upload(path, csv string) reply {
	e.t.Helper()
	return e.do(req{method: "POST", path: path, token: admin, body: csv, header: map[string]string{"Content-Type": "text/csv"}})
}

// TestImportLeavesUnsubscribedUnmailable: a CSV upload with people who
// left is applied with the report `subscribers import --json` gives; those
// rows are recorded unsubscribed, and the next send mails only the others.
func TestImportLeavesUnsubscribedUnmailable(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	csv := "email,name,status\na@example.org,A,subscribed\nb@example.org,B,unsubscribed\nc@example.org,C,\n"
	r := e.upload("/api/v1/lists/news/import?name=readers.csv", csv)
	v := r.json(t)
	if r.Status != 200 || v["added"].(float64) != 2 || v["suppressed"].(float64) != 1 || v["file"] != "readers.csv" {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	if st := e.member("news", "b@example.org").Status; st != store.Unsubscribed {
		t.Fatalf("b is %s", st)
	}
	if a := e.audit("news", "a@example.org"); len(a) != 1 || a[0].Source != store.SourceImport || a[0].Operator != "api:token admin" {
		t.Errorf("import's audit: %+v", a)
	}
	if got := e.sendNow(admin); strings.Join(got, " ") != "a@example.org c@example.org" {
		t.Fatalf("mailed %v", got)
	}
}

// TestImportRules: a file with a bad line imports nothing and answers the
// bad lines; ?skip_invalid imports the rest; ?status= imports everyone as
// that status; ?dry_run changes nothing; someone who left is not made
// active by a file.
func TestImportRules(t *testing.T) {
	e := newEnv(t)
	l := e.list("news")
	left, _ := address.Parse("left@example.org")
	e.db.SetStatus(context.Background(), l, left, store.Active, store.Evidence{Source: store.SourceAdmin})
	e.db.SetStatus(context.Background(), l, left, store.Unsubscribed, store.Evidence{Source: store.SourceWeb})
	bad := "email,name\nx@example.org,X\nnot an address,Y\n"
	r := e.upload("/api/v1/lists/news/import", bad)
	rep, _ := r.json(t)["error"].(map[string]any)["report"].(map[string]any)
	if r.Status != 400 || rep == nil || len(rep["invalid"].([]any)) != 1 || e.count("news") != 1 {
		t.Fatalf("bad line: %d %s", r.Status, r.Body)
	}
	r = e.upload("/api/v1/lists/news/import?dry_run=true&skip_invalid=true", bad)
	if r.Status != 200 || r.json(t)["dry_run"] != true || e.count("news") != 1 {
		t.Fatalf("dry run: %d %s", r.Status, r.Body)
	}
	r = e.upload("/api/v1/lists/news/import?skip_invalid=true", bad+"left@example.org,L\n")
	if r.Status != 200 || r.json(t)["added"].(float64) != 1 || len(r.json(t)["skipped"].([]any)) != 1 {
		t.Fatalf("skip invalid: %d %s", r.Status, r.Body)
	}
	if st := e.member("news", "left@example.org").Status; st != store.Unsubscribed {
		t.Errorf("a file made someone who left %s", st)
	}
	r = e.upload("/api/v1/lists/news/import?status=unsubscribed", "gone1@example.org\ngone2@example.org\n")
	if r.Status != 200 || e.member("news", "gone2@example.org").Status != store.Unsubscribed {
		t.Fatalf("status=unsubscribed: %d %s", r.Status, r.Body)
	}
	if r := e.upload("/api/v1/lists/news/import?status=sleepy", "z@example.org\n"); r.Status != 400 {
		t.Errorf("status=sleepy: %d", r.Status)
	}
	// An upload retried under its Idempotency-Key is applied once.
	keyed := func(csv string) reply {
		return e.do(req{method: "POST", path: "/api/v1/lists/news/import", token: admin, body: csv,
			header: map[string]string{"Content-Type": "text/csv", "Idempotency-Key": "upload-1"}})
	}
	first := keyed("k1@example.org\nk2@example.org\n")
	again := keyed("k1@example.org\nk2@example.org\n")
	if first.Status != 200 || first.json(t)["added"].(float64) != 2 || again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
		t.Fatalf("keyed upload: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
	}
	if n := len(e.audit("news", "k1@example.org")); n != 1 {
		t.Errorf("the retried upload ran again: %d audit rows", n)
	}
	if r := keyed("k3@example.org\n"); r.Status != 422 {
		t.Errorf("another file under the key: %d %s", r.Status, r.Body)
	}
}

// TestReports: a list's bounce records, complaints and the audit log by
// cursor pages.
func TestReports(t *testing.T) {
	e := newEnv(t)
	l := e.list("news")
	ctx := context.Background()
	for _, a := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: admin, body: map[string]any{"address": a}})
	}
	if _, err := e.db.RecordBounce(ctx, l, "a@example.org", false, "452 mailbox full", e.app.BouncePolicy()); err != nil {
		t.Fatal(err)
	}
	c, _ := address.Parse("c@example.org")
	e.db.SetStatus(ctx, l, c, store.Complained, store.Evidence{Source: store.SourceEmail, Reason: "ARF report"})
	r := e.do(req{method: "GET", path: "/api/v1/lists/news/bounces", token: reader})
	items := r.json(t)["items"].([]any)
	if r.Status != 200 || len(items) != 1 || items[0].(map[string]any)["last_reason"] != "452 mailbox full" {
		t.Fatalf("bounces: %d %s", r.Status, r.Body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/lists/news/complaints", token: reader})
	if items := r.json(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["address"] != "c@example.org" {
		t.Fatalf("complaints: %s", r.Body)
	}
	var actions []string
	for cursor := ""; ; {
		r := e.do(req{method: "GET", path: "/api/v1/audit?list=news&limit=2&cursor=" + cursor, token: reader})
		v := r.json(t)
		for _, it := range v["items"].([]any) {
			actions = append(actions, it.(map[string]any)["address"].(string)+" "+it.(map[string]any)["new_status"].(string))
		}
		if cursor, _ = v["next_cursor"].(string); cursor == "" {
			break
		}
	}
	want := "a@example.org active,b@example.org active,c@example.org active,c@example.org complained"
	if strings.Join(actions, ",") != want {
		t.Fatalf("audit pages: %v", actions)
	}
	r = e.do(req{method: "GET", path: "/api/v1/audit?address=c@example.org", token: reader})
	if n := len(r.json(t)["items"].([]any)); n != 2 {
		t.Errorf("audit of c: %d rows", n)
	}
}
