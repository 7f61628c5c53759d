package optin_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mailer/internal/inbound"
	"mailer/internal/listaddr"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// askEdge is one way a reader asks to subscribe: by a mail command or by
// the web form.
type askEdge struct {
	name string
	ask  func(e *env, addr string)
}

var askEdges = []askEdge{{"mail command", (*env).mailSubscribe}, {"web form", (*env).formSubscribe}}

// mailSubscribe writes "subscribe bpf-updates" from addr to the command
// address.
func (e *env) mailSubscribe(addr string) { e.command(addr, "subscribe bpf-updates") }

func (e *env) command(addr, body string) {
	e.t.Helper()
	rcpt := testwire.Book.Commands()
	e.seq++
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nMessage-ID: <c%d@example.org>\r\nSubject: x\r\n\r\n%s\r\n", addr, rcpt, e.seq, body)
	if _, err := e.w.Handler.Handle(e.ctx, inbound.Delivery{Recipient: rcpt, Sender: addr, SenderKnown: true, Raw: []byte(raw)}); err != nil {
		e.t.Fatal(err)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// formSubscribe GETs the subscribe form and posts addr with its CSRF
// cookie and field, over a real socket, then waits for the handed-off work.
func (e *env) formSubscribe(addr string) {
	e.t.Helper()
	pages, err := e.w.App.Web()
	if err != nil {
		e.t.Fatal(err)
	}
	ts := httptest.NewServer(pages.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + listaddr.SubscribePath + "bpf-updates")
	if err != nil {
		e.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m, cookie := csrfField.FindSubmatch(page), ""
	for _, c := range resp.Cookies() {
		if c.Name == "mailer_csrf" {
			cookie = c.Value
		}
	}
	if m == nil || cookie == "" {
		e.t.Fatalf("no CSRF cookie or field in the form:\n%s", page)
	}
	v := url.Values{"csrf": {string(m[1])}, "email": {addr}}
	req, _ := http.NewRequest("POST", ts.URL+listaddr.SubscribePath+"bpf-updates", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "mailer_csrf", Value: cookie})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	pages.Wait()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("form post: %d", resp.StatusCode)
	}
}

// asked counts the subscription confirmations delivered to addr, and says
// whether the last mail to it was the "already sent" answer.
func (e *env) asked(addr string) (n int, refused bool) {
	for _, m := range e.mails(addr) {
		refused = strings.Contains(bodyOf(e.t, m), "A confirmation request was already sent")
		if strings.HasPrefix(m.Header.Get("Subject"), "Confirm: subscribe") {
			n++
		}
	}
	return n, refused
}

// TestReturningReaderIsAskedAgain: a reader who subscribed, confirmed and
// left, and asks again at once, gets a new confirmation by either edge: the
// answered requests do not count against the interval. The new one works.
func TestReturningReaderIsAskedAgain(t *testing.T) {
	const zoe = "zoe@example.com"
	for _, edge := range askEdges {
		t.Run(edge.name, func(t *testing.T) {
			e := newEnv(t, testwire.Options{Interval: time.Hour})
			edge.ask(e, zoe)
			if _, err := e.subs.Confirm(e.ctx, e.codeSentTo(zoe), store.Evidence{Source: store.SourceWeb}); err != nil || e.status(zoe) != store.Active {
				t.Fatalf("first confirmation: %v, status %q", err, e.status(zoe))
			}
			e.now = e.now.Add(5 * time.Minute)
			e.command(zoe, "unsubscribe bpf-updates")
			if _, err := e.subs.Confirm(e.ctx, e.codeSentTo(zoe), store.Evidence{Source: store.SourceEmail}); err != nil || e.status(zoe) != store.Unsubscribed {
				t.Fatalf("unsubscribe confirmation: %v, status %q", err, e.status(zoe))
			}
			e.now = e.now.Add(time.Minute)
			edge.ask(e, zoe)
			if n, refused := e.asked(zoe); n != 2 || refused || e.status(zoe) != store.Pending {
				t.Fatalf("asking again: %d subscription confirmations (want 2), refused %v, status %q", n, refused, e.status(zoe))
			}
			if _, err := e.subs.Confirm(e.ctx, e.codeSentTo(zoe), store.Evidence{Source: store.SourceWeb}); err != nil || e.status(zoe) != store.Active {
				t.Fatalf("second confirmation: %v, status %q", err, e.status(zoe))
			}
		})
	}
}

// TestUnansweredRequestsStillWait: two unanswered requests within the
// interval get one confirmation, and by mail the "already sent" answer;
// once the first has expired unanswered, a new one goes at once.
func TestUnansweredRequestsStillWait(t *testing.T) {
	const zoe = "zoe@example.com"
	for _, edge := range askEdges {
		t.Run(edge.name, func(t *testing.T) {
			e := newEnv(t, testwire.Options{Interval: time.Hour, ConfirmTTL: 30 * time.Minute})
			edge.ask(e, zoe)
			e.now = e.now.Add(10 * time.Minute)
			edge.ask(e, zoe)
			n, refused := e.asked(zoe)
			if n != 1 || refused != (edge.name == "mail command") {
				t.Fatalf("second request within the interval: %d confirmations (want 1), refused %v", n, refused)
			}
			e.now = e.now.Add(25 * time.Minute) // the first expired; still within the hour
			edge.ask(e, zoe)
			if n, refused := e.asked(zoe); n != 2 || refused {
				t.Fatalf("after the first expired: %d confirmations (want 2), refused %v", n, refused)
			}
		})
	}
}
