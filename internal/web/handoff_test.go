package web_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/delivery"
	"mailer/internal/optin"
	"mailer/internal/smtpsend"
	"mailer/internal/store"
	"mailer/internal/testwire"
	"mailer/internal/web"
	"mailer/templates"
)

// recorder is the real opt-in workflow, noting which of its steps ran and
// holding Subscribe until the test lets it go, so that the test sees what
// the request itself did before its page was answered.
type recorder struct {
	*optin.Service
	mu    sync.Mutex
	calls []string
	gate  chan struct{}
}

func (r *recorder) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func (r *recorder) Admit(ctx context.Context, l *store.List, a address.Address, req optin.Request) (optin.Outcome, error) {
	r.note("Admit")
	return r.Service.Admit(ctx, l, a, req)
}

func (r *recorder) Subscribe(ctx context.Context, l *store.List, a address.Address, req optin.Request) (optin.Outcome, error) {
	<-r.gate
	r.note("Subscribe")
	return r.Service.Subscribe(ctx, l, a, req)
}

// TestFormDoesTheSameWorkForEveryAddress: whatever the address's state,
// the request does the same steps (Admit, a job handed to the queue) and
// answers the same page before any state-dependent work runs; the queue
// then sends a confirmation to the new (and the unconfirmed) address only.
func TestFormDoesTheSameWorkForEveryAddress(t *testing.T) {
	e := newEnv(t)
	for addr, st := range map[string]store.Status{"act@example.org": store.Active, "gone@example.org": store.Bounced,
		"spam@example.org": store.Complained} {
		e.member(addr, store.Active)
		e.member(addr, st)
	}
	e.member("wait@example.org", store.Pending)
	tr, _ := smtpsend.New(smtpsend.Options{Host: e.srv.Host, Port: e.srv.Port, TLS: smtpsend.TLSNone})
	w := testwire.Build(t, e.db, delivery.Outbox{Transport: tr}, testwire.Options{ConfirmTTL: time.Hour, Interval: time.Minute,
		PerAddressHour: 10, MailPerHour: 500, WebPerHour: 200})
	var pages []string
	for _, addr := range []string{"new@example.org", "act@example.org", "gone@example.org", "spam@example.org", "wait@example.org"} {
		rec := &recorder{Service: w.Subs, gate: make(chan struct{})}
		srv, err := web.New(e.db, rec, web.Options{Book: testwire.Book, Looks: templates.Looks{}, SubscribePerMinute: 50})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		e.ts, e.pages = ts, srv
		cookie, csrf := e.subscribeForm()
		code, body, _ := e.do("POST", "/subscribe/bpf-updates", strings.NewReader("csrf="+csrf+"&email="+addr), "Content-Type", form,
			"Cookie", "mailer_csrf="+cookie)
		if got := rec.seen(); code != 200 || !slices.Equal(got, []string{"Admit"}) {
			t.Fatalf("%s: %d, steps in the request %v, want [Admit]", addr, code, got)
		}
		pages = append(pages, strings.ReplaceAll(body, addr, "ADDRESS"))
		close(rec.gate)
		srv.Wait()
		ts.Close()
		if got := rec.seen(); !slices.Equal(got, []string{"Admit", "Subscribe"}) {
			t.Fatalf("%s: steps %v", addr, got)
		}
	}
	for _, p := range pages[1:] {
		if p != pages[0] {
			t.Fatalf("the pages differ:\n%s\n---\n%s", pages[0], p)
		}
	}
	// A pending address that was never sent a code is asked again.
	if got := e.srv.ByRecipient(); got["new@example.org"] != 1 || got["wait@example.org"] != 1 || len(got) != 2 {
		t.Fatalf("mail sent by the queue: %v, want one confirmation to the new and the pending address", got)
	}
}
