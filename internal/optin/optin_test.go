package optin_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/optin"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

type env struct {
	t    *testing.T
	ctx  context.Context
	db   *store.DB
	srv  *smtptest.Server
	w    *testwire.Wired
	subs *optin.Service
	list *store.List
	now  time.Time
	seq  int // numbers the Message-IDs of command mails
}

func newEnv(t *testing.T, o testwire.Options) *env {
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(t, "o.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	title := "BPF updates"
	l, err := db.CreateList(ctx, "bpf-updates", store.ListSettings{Title: &title})
	if err != nil {
		t.Fatal(err)
	}
	srv := smtptest.Start(t)
	tr, err := smtpsend.New(smtpsend.Options{Host: srv.Host, Port: srv.Port, TLS: smtpsend.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, db: db, srv: srv, list: l, now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	db.Now = func() time.Time { return e.now }
	o.Now = db.Now
	e.w = testwire.Build(t, db, delivery.Outbox{Transport: tr}, o)
	e.subs = e.w.Subs
	return e
}

func (e *env) status(addr string) store.Status {
	m, err := e.db.GetMember(e.ctx, listOf(e.t, e.db, "bpf-updates"), addr)
	if err != nil {
		return ""
	}
	return m.Status
}

func (e *env) set(addr string, st store.Status) {
	e.t.Helper()
	a, _ := address.Parse(addr)
	if _, err := e.db.SetStatus(e.ctx, listOf(e.t, e.db, "bpf-updates"), a, st, store.Evidence{Source: store.SourceAdmin}); err != nil {
		e.t.Fatal(err)
	}
}

func self(budget string) optin.Request {
	return optin.Request{Requester: "test", Budget: budget, Self: true, Evidence: store.Evidence{Source: store.SourceEmail, Reason: "test"}}
}

var codeIn = regexp.MustCompile(`/confirm/([a-z2-7]{24})`)

// codeSentTo returns the code of the last confirmation delivered to addr.
func (e *env) codeSentTo(addr string) string {
	e.t.Helper()
	code := ""
	for _, m := range e.srv.Messages() {
		if m.To[0] == addr {
			if c := codeIn.FindSubmatch(m.Data); c != nil {
				code = string(c[1])
			}
		}
	}
	if code == "" {
		e.t.Fatalf("no confirmation reached %s", addr)
	}
	return code
}

// TestConfirmationCountsOnlyOnceSent: whatever way the hand-over fails,
// nothing is committed, the error says try again, and the retry sends the
// confirmation and makes the address pending.
func TestConfirmationCountsOnlyOnceSent(t *testing.T) {
	for _, f := range []smtptest.Fault{
		{Stage: "RCPT", Code: 421, Times: 1},
		{Stage: "RCPT", Code: 451, Times: 1},
		{Stage: "DATA", Code: 452, Times: 1},
		{Stage: "DATA", Drop: true, Times: 1},
	} {
		e := newEnv(t, testwire.Options{})
		a, _ := address.Parse("zoe@example.com")
		e.srv.Fail("zoe@example.com", f)
		_, err := e.subs.Subscribe(e.ctx, e.list, a, self(store.BudgetMail))
		if fault.CodeOf(err) != fault.Unavailable {
			t.Fatalf("%+v: err %v, want Unavailable", f, err)
		}
		last, _ := e.db.LastConfirmation(e.ctx, e.list.ID, "zoe@example.com", "subscribe")
		if st := e.status("zoe@example.com"); st != "" || !last.IsZero() {
			t.Fatalf("%+v: committed although nothing was sent: status %q, last confirmation %v", f, st, last)
		}
		out, err := e.subs.Subscribe(e.ctx, e.list, a, self(store.BudgetMail))
		if err != nil || out.Kind != optin.ConfirmationSent || e.status("zoe@example.com") != store.Pending {
			t.Fatalf("%+v: retry: %+v %v, status %q", f, out, err, e.status("zoe@example.com"))
		}
		if n := e.srv.ByRecipient()["zoe@example.com"]; n != 1 {
			t.Fatalf("%+v: %d confirmations delivered", f, n)
		}
		// The one that arrived works.
		c, err := e.subs.Confirm(e.ctx, e.codeSentTo("zoe@example.com"), store.Evidence{Source: store.SourceWeb})
		if err != nil || c.Again || e.status("zoe@example.com") != store.Active {
			t.Fatalf("%+v: confirm: %+v %v", f, c, err)
		}
	}
}

func TestUnsubscribeConfirmationCountsOnlyOnceSent(t *testing.T) {
	e := newEnv(t, testwire.Options{})
	e.set("bob@example.org", store.Active)
	a, _ := address.Parse("bob@example.org")
	e.srv.Fail("bob@example.org", smtptest.Fault{Stage: "RCPT", Code: 451, Times: 1})
	if _, err := e.subs.Unsubscribe(e.ctx, e.list, a, self(store.BudgetMail)); fault.CodeOf(err) != fault.Unavailable {
		t.Fatalf("err %v", err)
	}
	out, err := e.subs.Unsubscribe(e.ctx, e.list, a, self(store.BudgetMail))
	if err != nil || out.Kind != optin.UnsubscribeConfirmationSent {
		t.Fatalf("retry: %+v %v", out, err)
	}
	if _, err := e.subs.Confirm(e.ctx, e.codeSentTo("bob@example.org"), store.Evidence{Source: store.SourceEmail}); err != nil ||
		e.status("bob@example.org") != store.Unsubscribed {
		t.Fatalf("confirm: %v, %q", err, e.status("bob@example.org"))
	}
}

// TestConfirmAgain: an MTA's retry of a confirmation whose answer failed
// is told it is done; a used code whose change no longer holds is refused.
func TestConfirmAgain(t *testing.T) {
	e := newEnv(t, testwire.Options{})
	a, _ := address.Parse("zoe@example.com")
	if _, err := e.subs.Subscribe(e.ctx, e.list, a, self(store.BudgetMail)); err != nil {
		t.Fatal(err)
	}
	code := e.codeSentTo("zoe@example.com")
	for i, want := range []bool{false, true, true} {
		c, err := e.subs.Confirm(e.ctx, code, store.Evidence{Source: store.SourceEmail})
		if err != nil || c.Again != want || c.Address != "zoe@example.com" {
			t.Fatalf("use %d: %+v %v", i, c, err)
		}
	}
	log, _ := e.db.AuditLog(e.ctx, listOf(e.t, e.db, "bpf-updates"), "zoe@example.com")
	if len(log) != 2 {
		t.Fatalf("a repeated confirmation wrote the audit log again: %+v", log)
	}
	e.set("zoe@example.com", store.Unsubscribed)
	if _, err := e.subs.Confirm(e.ctx, code, store.Evidence{Source: store.SourceEmail}); fault.CodeOf(err) != fault.Invalid ||
		e.status("zoe@example.com") != store.Unsubscribed {
		t.Fatalf("used code after leaving: %v, %q", err, e.status("zoe@example.com"))
	}
	if _, err := e.subs.Confirm(e.ctx, "aaaaaaaaaaaaaaaaaaaaaaaa", store.Evidence{}); fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("unknown code: %v", err)
	}
	// Expired.
	b, _ := address.Parse("late@example.com")
	e.subs.Subscribe(e.ctx, e.list, b, self(store.BudgetMail))
	e.now = e.now.Add(8 * 24 * time.Hour)
	if _, err := e.subs.Confirm(e.ctx, e.codeSentTo("late@example.com"), store.Evidence{}); fault.CodeOf(err) != fault.Invalid ||
		e.status("late@example.com") != store.Pending {
		t.Fatalf("expired code: %v, %q", err, e.status("late@example.com"))
	}
}

// TestConfirmAfterStopped: a member stopped by bounces or an owner after
// asking is not put back by the old code, and the code stays unspent.
func TestConfirmAfterStopped(t *testing.T) {
	e := newEnv(t, testwire.Options{})
	e.set("carol@example.org", store.Active)
	e.set("carol@example.org", store.Unsubscribed)
	a, _ := address.Parse("carol@example.org")
	e.subs.Subscribe(e.ctx, e.list, a, self(store.BudgetMail))
	code := e.codeSentTo("carol@example.org")
	e.set("carol@example.org", store.Active) // re-added by an owner...
	e.set("carol@example.org", store.Disabled)
	if _, err := e.subs.Confirm(e.ctx, code, store.Evidence{}); fault.CodeOf(err) != fault.Conflict || e.status("carol@example.org") != store.Disabled {
		t.Fatalf("confirm after disabled: %v, %q", err, e.status("carol@example.org"))
	}
}
