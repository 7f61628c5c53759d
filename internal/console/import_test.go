package console_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"mailer/internal/store"
)

// upload posts a member file to the import form.
func (e *env) upload(cookie, csrf, name, body string, fields map[string]string) answer {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(body))
	mw.Close()
	return e.do("POST", "/lists/bpf-updates/import", cookie, &buf, mw.FormDataContentType())
}

// The import form reads and applies a file as `subscribers import` does:
// one bad line and nothing is imported, the bad lines listed as
// FILE:LINE; with skip_invalid the good ones go in; nobody who left is
// made active.
func TestImportForm(t *testing.T) {
	e := newEnv(t)
	e.member(e.bpf, "left@example.org", store.Unsubscribed)
	cookie := e.login(alice)
	csrf := e.csrf(cookie)
	file := "email,name\nivy@example.org,Ivy\nnot-an-address,Bad\nleft@example.org,Left\njack@example.org,Jack\n"
	if a := e.upload(cookie, "", "readers.csv", file, nil); a.status != http.StatusForbidden {
		t.Errorf("upload without CSRF: %d", a.status)
	}
	a := e.upload(cookie, csrf, "readers.csv", file, nil)
	if a.status != http.StatusBadRequest || !strings.Contains(a.body, "Nothing imported") || !strings.Contains(a.body, "readers.csv:3:") {
		t.Errorf("a file with a bad line: %d\n%s", a.status, a.body)
	}
	if st := e.status(e.bpf, "ivy@example.org"); st != "" {
		t.Fatalf("a refused file imported ivy as %q", st)
	}
	a = e.upload(cookie, csrf, "readers.csv", file, map[string]string{"skip_invalid": "1"})
	if a.status != http.StatusOK || !strings.Contains(a.body, `<span class="n">2</span> added`) {
		t.Errorf("import with skip_invalid: %d\n%s", a.status, a.body)
	}
	for addr, want := range map[string]store.Status{"ivy@example.org": store.Active, "jack@example.org": store.Active, "left@example.org": store.Unsubscribed} {
		if st := e.status(e.bpf, addr); st != want {
			t.Errorf("%s is %q after the import, want %q", addr, st, want)
		}
	}
	log, _ := e.db.AuditLog(context.Background(), e.bpf, "ivy@example.org")
	if len(log) == 0 || log[0].Operator != "console:"+alice || log[0].Source != store.SourceImport {
		t.Errorf("import's audit entry: %+v", log)
	}
	dry := e.upload(cookie, csrf, "more.csv", "kim@example.org\n", map[string]string{"dry_run": "1"})
	if !strings.Contains(dry.body, "Dry run: nothing changed") || e.status(e.bpf, "kim@example.org") != "" {
		t.Errorf("dry run: %d, kim %q", dry.status, e.status(e.bpf, "kim@example.org"))
	}
}

// The schedule form shows the issue beside it and schedules it through
// the same plan as `mailer send --at`.
func TestScheduleWithPreview(t *testing.T) {
	e := newEnv(t)
	e.issue("issue-07", "bpf-updates", "Seven things", "The *seventh* issue.")
	e.issue("kn-07", "kernel-news", "Bob's issue", "Not alice's.")
	cookie := e.login(alice)
	form := e.get("/schedule", cookie)
	if !strings.Contains(form.body, `<option value="issue-07"`) {
		t.Errorf("schedule form does not offer issue-07:\n%s", form.body)
	}
	p := e.get("/schedule?issue=issue-07", cookie)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Seven things") || !strings.Contains(p.body, "The _seventh_ issue.") {
		t.Errorf("preview: %d\n%s", p.status, p.body)
	}
	html := e.get("/schedule/preview/issue-07", cookie)
	if !strings.Contains(html.body, "<em>seventh</em>") || !strings.HasPrefix(html.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("HTML preview: CSP %q\n%s", html.header.Get("Content-Security-Policy"), html.body)
	}
	for _, path := range []string{"/schedule?issue=kn-07", "/schedule?issue=..%2Fetc%2Fpasswd", "/schedule/preview/kn-07"} {
		if a := e.get(path, cookie); a.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, a.status)
		}
	}
	csrf := e.csrf(cookie)
	at := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")
	if a := e.post("/schedule", cookie, url.Values{"issue": {"issue-07"}, "at": {"2001-01-01T09:00"}, "csrf": {csrf}}); a.status != http.StatusBadRequest {
		t.Errorf("a time in the past: %d", a.status)
	}
	if a := e.post("/schedule", cookie, url.Values{"issue": {"kn-07"}, "at": {at}, "csrf": {csrf}}); a.status != http.StatusNotFound {
		t.Errorf("alice scheduling bob's issue: %d", a.status)
	}
	a := e.post("/schedule", cookie, url.Values{"issue": {"issue-07"}, "at": {at}, "csrf": {csrf}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("schedule: %d\n%s", a.status, a.body)
	}
	scheds, err := e.db.Schedules(context.Background(), false)
	if err != nil || len(scheds) != 1 || scheds[0].Issue != "issue-07" || scheds[0].DueAt.UTC().Format("2006-01-02T15:04") != at {
		t.Fatalf("schedules: %+v, %v", scheds, err)
	}
	sends := e.get("/sends", cookie)
	if !strings.Contains(sends.body, "issue-07") || !strings.Contains(sends.body, "/schedules/") {
		t.Errorf("sends page lacks the schedule:\n%s", sends.body)
	}
	if a := e.post("/schedules/"+itoa(scheds[0].ID)+"/cancel", cookie, url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther {
		t.Errorf("cancel the schedule: %d", a.status)
	}
	if left, _ := e.db.Schedules(context.Background(), false); len(left) != 0 {
		t.Errorf("schedules after cancel: %+v", left)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
