package api_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"mailer/internal/config"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

// sendNow schedules issue-06 to news for now over the API and lets the
// daemon of `mailer serve` deliver it (one tick); it returns who got it.
func (e *env) sendNow(token string) []string {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v1/sends", token: token, body: map[string]any{"issue": "issue-06", "list": "news"}})
	if r.Status != 201 || r.json(e.t)["state"] != "scheduled" {
		e.t.Fatalf("schedule now: %d %s", r.Status, r.Body)
	}
	if err := e.app.Daemon().Tick(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return e.recipients()
}

func (e *env) recipients() []string {
	var to []string
	for _, m := range e.relay.Messages() {
		to = append(to, m.To...)
	}
	sort.Strings(to)
	return to
}

// TestDeletedMemberIsNotMailed: a member removed over the API gets nothing
// from the send scheduled next over the API, which serve's daemon runs;
// the send's status then says what was delivered.
func TestDeletedMemberIsNotMailed(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	for _, a := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		if r := e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: news, body: map[string]any{"address": a}}); r.Status != 200 {
			t.Fatal(string(r.Body))
		}
	}
	if r := e.do(req{method: "DELETE", path: "/api/v1/lists/news/members/b@example.org", token: news}); r.Status != 200 {
		t.Fatal(string(r.Body))
	}
	if got := e.sendNow(news); strings.Join(got, " ") != "a@example.org c@example.org" {
		t.Fatalf("mailed %v", got)
	}
	r := e.do(req{method: "GET", path: "/api/v1/sends?all=true", token: news})
	sends := r.json(t)["sends"].([]any)
	if len(sends) != 1 {
		t.Fatalf("sends: %s", r.Body)
	}
	id := sends[0].(map[string]any)["id"].(float64)
	r = e.do(req{method: "GET", path: fmt.Sprintf("/api/v1/sends/%d", int(id)), token: reader})
	s := r.json(t)["send"].(map[string]any)
	if s["state"] != "done" || s["counts"].(map[string]any)["sent"].(float64) != 2 || s["total"].(float64) != 2 {
		t.Fatalf("send status: %s", r.Body)
	}
	// A finished send is not repeated, as `mailer send` refuses it.
	if r := e.do(req{method: "POST", path: "/api/v1/sends", token: news, body: map[string]any{"issue": "issue-06", "list": "news"}}); r.Status != 409 {
		t.Errorf("send again: %d %s", r.Status, r.Body)
	}
}

// TestScheduleAndCancel: a send scheduled for later is listed as sN, read
// and cancelled (audited by who cancelled it); a bad issue name never
// reaches the file system; another list's token sees none of it.
func TestScheduleAndCancel(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	e.list("other")
	at := e.app.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	r := e.do(req{method: "POST", path: "/api/v1/sends", token: admin, body: map[string]any{"issue": "issue-06", "list": "news", "at": at}})
	sc := r.json(t)
	if r.Status != 201 || sc["list"] != "news" || sc["due_at"] != at.Format(time.RFC3339) {
		t.Fatalf("schedule: %d %s", r.Status, r.Body)
	}
	id := fmt.Sprintf("s%d", int(sc["id"].(float64)))
	if r := e.do(req{method: "GET", path: "/api/v1/sends", token: reader}); len(r.json(t)["scheduled"].([]any)) != 1 {
		t.Fatalf("listed: %s", r.Body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/sends/" + id, token: reader}); r.json(t)["schedule"].(map[string]any)["state"] != "scheduled" {
		t.Fatalf("get: %s", r.Body)
	}
	for _, bad := range []string{"../mailer", "/etc/passwd", ".hidden", "issue-06/x"} {
		if r := e.do(req{method: "POST", path: "/api/v1/sends", token: admin, body: map[string]any{"issue": bad}}); r.Status != 400 {
			t.Errorf("issue %q: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := e.do(req{method: "POST", path: "/api/v1/sends", token: admin, body: map[string]any{"issue": "issue-99"}}); r.Status != 404 {
		t.Errorf("missing issue: %d %s", r.Status, r.Body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/sends", token: news, body: map[string]any{"issue": "issue-06", "list": "other"}}); r.Status != 404 {
		t.Errorf("news-bot schedules to other: %d %s", r.Status, r.Body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/sends/" + id + "/cancel", token: admin})
	if v := r.json(t)["schedule"].(map[string]any); r.Status != 200 || v["state"] != "cancelled" || v["reason"] != "cancelled by api:token admin" {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/sends/" + id + "/pause", token: admin}); r.Status != 400 {
		t.Errorf("pause a schedule: %d %s", r.Status, r.Body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/sends/s999", token: admin}); r.Status != 404 {
		t.Errorf("missing schedule: %d", r.Status)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/sends/x1", token: admin}); r.Status != 400 {
		t.Errorf("bad id: %d", r.Status)
	}
}

// TestPauseResumeCancel: a send the relay defers stays unfinished; pause,
// resume and cancel it over the API as `mailer sends` does.
func TestPauseResumeCancel(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: admin, body: map[string]any{"address": "a@example.org"}})
	e.relay.Fail("a@example.org", smtptest.Fault{Stage: "RCPT", Code: 451})
	// A retry further off than the daemon waits: the run ends, the send stays.
	e.app.Config.Send.Retry = []config.Duration{config.Duration(2 * time.Hour)}
	if got := e.sendNow(admin); len(got) != 0 {
		t.Fatalf("delivered despite 451: %v", got)
	}
	path := "/api/v1/sends/1"
	r := e.do(req{method: "GET", path: path, token: reader})
	if s := r.json(t)["send"].(map[string]any); s["state"] == "done" || s["counts"].(map[string]any)["deferred"].(float64) != 1 {
		t.Fatalf("deferred send: %s", r.Body)
	}
	if r := e.do(req{method: "POST", path: path + "/pause", token: news}); r.Status != 200 || r.json(t)["send"].(map[string]any)["paused"] != true {
		t.Fatalf("pause: %d %s", r.Status, r.Body)
	}
	if r := e.do(req{method: "POST", path: path + "/resume", token: news}); r.Status != 200 || r.json(t)["send"].(map[string]any)["paused"] != false {
		t.Fatalf("resume: %d %s", r.Status, r.Body)
	}
	if r := e.do(req{method: "POST", path: path + "/resume", token: news, body: map[string]any{"force": true}}); r.Status != 200 {
		t.Fatalf("resume with force: %d %s", r.Status, r.Body)
	}
	r = e.do(req{method: "POST", path: path + "/cancel", token: news})
	if v := r.json(t); r.Status != 200 || v["skipped"].(float64) != 1 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/sends/77/pause", token: admin}); r.Status != 404 {
		t.Errorf("pause a missing send: %d", r.Status)
	}
}

// TestSendPages: sends come newest first by cursor pages, and a token for
// one list pages through its sends only.
func TestSendPages(t *testing.T) {
	e := newEnv(t)
	lists := map[string]*store.List{"news": e.list("news"), "other": e.list("other")}
	for i, name := range []string{"news", "other", "news", "news", "other", "news", "news"} {
		l := lists[name]
		if _, err := e.db.StartSend(context.Background(), store.NewSend{Issue: fmt.Sprintf("i%d", i), Subject: "s", ContentHash: "h", ListID: l.ID,
			MsgIDNonce: fmt.Sprintf("n%d", i), MsgIDDomain: "lists.example.org", LeaseOwner: "t", LeaseUntil: e.db.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	pages := func(token string) (ids []int, n int) {
		for cursor := ""; ; n++ {
			r := e.do(req{method: "GET", path: "/api/v1/sends?limit=2&cursor=" + cursor, token: token})
			v := r.json(t)
			for _, s := range v["sends"].([]any) {
				ids = append(ids, int(s.(map[string]any)["id"].(float64)))
			}
			if cursor, _ = v["next_cursor"].(string); cursor == "" {
				return ids, n + 1
			}
		}
	}
	if ids, n := pages(admin); fmt.Sprint(ids) != "[7 6 5 4 3 2 1]" || n != 4 {
		t.Errorf("admin: %v in %d pages", ids, n)
	}
	if ids, n := pages(news); fmt.Sprint(ids) != "[7 6 4 3 1]" || n != 3 {
		t.Errorf("news-bot: %v in %d pages", ids, n)
	}
	// Send 2 is other's: to news-bot it does not exist.
	for _, r := range []req{{method: "GET", path: "/api/v1/sends/2"}, {method: "POST", path: "/api/v1/sends/2/pause"}, {method: "POST", path: "/api/v1/sends/2/cancel"}} {
		r.token = news
		if got := e.do(r); got.Status != 404 || !strings.Contains(string(got.Body), "no send 2") {
			t.Errorf("news-bot %s %s: %d %s", r.method, r.path, got.Status, got.Body)
		}
	}
	if s, _ := e.db.GetSend(context.Background(), 2); s.Paused || s.State == "done" {
		t.Errorf("news-bot changed other's send: %+v", s)
	}
}
