package optin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mailer/internal/inbound"
	"mailer/internal/listaddr"
	"mailer/internal/store"
	"mailer/internal/testwire"
	"mailer/internal/token"
)

// edgeCase is one token as both edges get it, and what both must do.
type edgeCase struct {
	name   string
	before store.Status // carol's status first
	token  func(e *env) string
	web    int             // the page's status
	mail   inbound.Outcome // the mail handler's outcome
	after  store.Status
	rows   int // audit rows the token adds
}

var edgeCases = []edgeCase{
	{"active", store.Active, func(e *env) string { return e.tokenOf("bpf-updates", "carol@example.org") },
		http.StatusOK, inbound.Acted, store.Unsubscribed, 1},
	{"already left", store.Unsubscribed, func(e *env) string { return e.tokenOf("bpf-updates", "carol@example.org") },
		http.StatusOK, inbound.Acted, store.Unsubscribed, 0},
	{"tampered", store.Active, func(e *env) string { return tamper(e.tokenOf("bpf-updates", "carol@example.org")) },
		http.StatusBadRequest, inbound.Dropped, store.Active, 0},
	{"unknown member", store.Active, func(e *env) string {
		return e.w.Signer.Make(token.Membership{ListID: e.list.ID, SubscriberID: 9999})
	}, http.StatusNotFound, inbound.Dropped, store.Active, 0},
}

// TestWebAndMailLeaveAlike: the same token, clicked on the page or mailed
// to the List-Unsubscribe mailto address, reaches the same outcome,
// because both edges hand it to the one token path.
func TestWebAndMailLeaveAlike(t *testing.T) {
	for _, c := range edgeCases {
		t.Run(c.name, func(t *testing.T) {
			web, mail := newEnv(t, testwire.Options{}), newEnv(t, testwire.Options{})
			tw, tm := web.prepare(c), mail.prepare(c)
			if tw != tm {
				t.Fatalf("the two stores gave carol different tokens: %s, %s", tw, tm)
			}
			envs := map[string]*env{"page": web, "mail": mail}
			rows := map[string]int{"page": web.auditLen("carol@example.org"), "mail": mail.auditLen("carol@example.org")}
			if code := web.click(tw); code != c.web {
				t.Errorf("page: %d, want %d", code, c.web)
			}
			if res := mail.mailTo(tm); res.Outcome != c.mail {
				t.Errorf("mail: %+v, want %s", res, c.mail)
			}
			for edge, e := range envs {
				if st, n := e.status("carol@example.org"), e.auditLen("carol@example.org")-rows[edge]; st != c.after || n != c.rows {
					t.Errorf("%s: carol is %q with %d new audit rows, want %q and %d", edge, st, n, c.after, c.rows)
				}
			}
		})
	}
}

// prepare makes carol a member as the case says and returns its token.
func (e *env) prepare(c edgeCase) string {
	e.set("carol@example.org", store.Active)
	if c.before != store.Active {
		e.set("carol@example.org", c.before)
	}
	return c.token(e)
}

// click posts the unsubscribe page's button, over a real socket.
func (e *env) click(tok string) int {
	e.t.Helper()
	pages, err := e.w.App.Web()
	if err != nil {
		e.t.Fatal(err)
	}
	ts := httptest.NewServer(pages.Handler())
	defer ts.Close()
	resp, err := http.Post(ts.URL+listaddr.UnsubscribePath+tok, "application/x-www-form-urlencoded", strings.NewReader(""))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// mailTo delivers a mail to the token's List-Unsubscribe mailto address.
func (e *env) mailTo(tok string) inbound.Result {
	e.t.Helper()
	rcpt := testwire.Book.TokenUnsubscribe("bpf-updates", tok)
	raw := fmt.Sprintf("From: someone@example.net\r\nTo: %s\r\nMessage-ID: <u1@example.net>\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n", rcpt)
	res, err := e.w.Handler.Handle(e.ctx, inbound.Delivery{Recipient: rcpt, Sender: "someone@example.net", SenderKnown: true, Raw: []byte(raw)})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}
