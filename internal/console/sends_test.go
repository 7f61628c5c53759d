package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mailer/internal/auth"
	"mailer/internal/delivery"
	"mailer/internal/store"
)

// startSend starts a send of issue to l's active members and delivers
// the first sent of them, as a run would.
func (e *env) startSend(l *store.List, issue string, members, sent int) *store.Send {
	e.t.Helper()
	ctx := context.Background()
	for i := range members {
		e.member(l, fmt.Sprintf("%s-%02d@example.org", issue, i), store.Active)
	}
	s, err := e.db.StartSend(ctx, store.NewSend{Issue: issue, Subject: "About " + issue, ContentHash: "h", ListID: l.ID,
		MsgIDNonce: "n" + issue, MsgIDDomain: "example.org", LeaseOwner: "test", LeaseUntil: time.Now().Add(time.Hour)})
	if err != nil {
		e.t.Fatal(err)
	}
	e.deliver(s, sent)
	return s
}

// deliver records n more of s's messages as sent.
func (e *env) deliver(s *store.Send, n int) {
	e.t.Helper()
	ctx, q := context.Background(), e.db.Queue(s.ID)
	jobs, err := q.Exchange(ctx, nil, n, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	var res []delivery.Result
	for _, j := range jobs {
		res = append(res, delivery.Result{JobID: j.ID, Outcome: delivery.Sent, Reply: "250 ok", At: time.Now()})
	}
	if _, err := q.Exchange(ctx, res, 0, time.Now()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) send(id int64) *store.Send {
	s, err := e.db.GetSend(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// The sends pages show what `mailer status` shows, and the controls do
// what `mailer sends pause|resume|cancel` do; only on the owner's lists.
func TestSendsPagesAndControls(t *testing.T) {
	e := newEnv(t)
	kn, _ := e.db.GetList(context.Background(), "kernel-news")
	s := e.startSend(e.bpf, "issue-01", 5, 2)
	other := e.startSend(kn, "kn-01", 2, 0)
	cookie := e.login(alice)
	list := e.get("/sends", cookie)
	if !strings.Contains(list.body, fmt.Sprintf(`href="/sends/%d"`, s.ID)) || strings.Contains(list.body, "kn-01") {
		t.Errorf("sends page: alice's send missing or bob's shown:\n%s", list.body)
	}
	page := e.get(fmt.Sprintf("/sends/%d", s.ID), cookie)
	for _, want := range []string{`data-count="sent">2</span>`, `data-count="total">5</span>`, `data-count="queued">3</span>`, "About issue-01", fmt.Sprintf(`data-events="/sends/%d/events"`, s.ID)} {
		if !strings.Contains(page.body, want) {
			t.Errorf("send page lacks %q", want)
		}
	}
	if a := e.get(fmt.Sprintf("/sends/%d", other.ID), cookie); a.status != http.StatusNotFound {
		t.Errorf("alice GET bob's send: %d, want 404", a.status)
	}
	csrf := e.csrf(cookie)
	if a := e.post(fmt.Sprintf("/sends/%d/pause", other.ID), cookie, url.Values{"csrf": {csrf}}); a.status != http.StatusNotFound || e.send(other.ID).Paused {
		t.Errorf("alice paused bob's send: %d", a.status)
	}
	if a := e.post(fmt.Sprintf("/sends/%d/pause", s.ID), cookie, url.Values{}); a.status != http.StatusForbidden || e.send(s.ID).Paused {
		t.Errorf("pause without CSRF: %d", a.status)
	}
	if a := e.post(fmt.Sprintf("/sends/%d/pause", s.ID), cookie, url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther || !e.send(s.ID).Paused {
		t.Fatalf("pause: %d, paused %v", a.status, e.send(s.ID).Paused)
	}
	if p := e.get(fmt.Sprintf("/sends/%d?done=paused", s.ID), cookie); !strings.Contains(p.body, "/resume") || !strings.Contains(p.body, "Paused: ") {
		t.Errorf("paused send's page offers no resume or says nothing")
	}
	if a := e.post(fmt.Sprintf("/sends/%d/resume", s.ID), cookie, url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther || e.send(s.ID).Paused {
		t.Fatalf("resume: %d, paused %v", a.status, e.send(s.ID).Paused)
	}
	if a := e.post(fmt.Sprintf("/sends/%d/cancel", s.ID), cookie, url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", a.status)
	}
	if got := e.send(s.ID); got.State != store.SendDone || got.Counts.Skipped != 3 || got.Counts.Sent != 2 {
		t.Errorf("after cancel: state %s, counts %+v", got.State, got.Counts)
	}
	if p := e.get(fmt.Sprintf("/sends/%d", s.ID), cookie); strings.Contains(p.body, "data-events") || strings.Contains(p.body, "/pause") {
		t.Error("a finished send's page still streams or offers pause")
	}
}

// The event stream reports the send's numbers now and as they change,
// and ends with the send.
func TestSendEvents(t *testing.T) {
	e := newEnv(t)
	s := e.startSend(e.bpf, "issue-02", 4, 1)
	cookie := e.login(alice)
	req, _ := http.NewRequest("GET", e.ts.URL+fmt.Sprintf("/sends/%d/events", s.ID), nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := bufio.NewScanner(resp.Body)
	next := func() map[string]any {
		for events.Scan() {
			if data, ok := strings.CutPrefix(events.Text(), "data: "); ok {
				var p map[string]any
				if err := json.Unmarshal([]byte(data), &p); err != nil {
					t.Fatal(err)
				}
				return p
			}
		}
		t.Fatalf("stream ended: %v", events.Err())
		return nil
	}
	if p := next(); p["sent"] != 1.0 || p["total"] != 4.0 || p["queued"] != 3.0 || p["done"] != false {
		t.Errorf("first event: %v", p)
	}
	e.deliver(s, 3)
	for p := next(); p["sent"] != 4.0; p = next() {
		if p["sent"] != 1.0 {
			t.Fatalf("event with sent %v", p["sent"])
		}
	}
	if _, err := e.db.FinishSend(context.Background(), s.ID); err != nil {
		t.Fatal(err)
	}
	for p := next(); p["done"] != true; p = next() {
	}
	if events.Scan() && strings.HasPrefix(events.Text(), "data:") {
		t.Errorf("stream goes on after the send is done: %q", events.Text())
	}
	if a := e.get(fmt.Sprintf("/sends/%d/events", s.ID), e.login(bob)); a.status != http.StatusNotFound {
		t.Errorf("bob's event stream of alice's send: %d", a.status)
	}
}
