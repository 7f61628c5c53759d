package bounces_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/bounces"
	"mailer/internal/delivery"
	"mailer/internal/listaddr"
	"mailer/internal/mailout"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
	"mailer/templates"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const (
	host      = "lists.example.org"
	siteOwner = "site@example.org"
)

var (
	owners = []string{"one@example.org", "two@example.org"}
	admin  = store.Evidence{Source: store.SourceAdmin, Operator: "test"}
)

// env is the bounce service on a real store, mailing the owners through a
// real SMTP server: lists news (two owners), other (one) and quiet (none).
type env struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	srv    *smtptest.Server
	svc    *bounces.Service
	notice *bounces.OwnerNotice
	now    time.Time
}

func newEnv(t *testing.T, p store.BouncePolicy) *env {
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(t, "b.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, ctx: ctx, db: db, now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	db.Now = func() time.Time { return e.now }
	for name, own := range map[string][]string{"news": owners, "other": {"boss@example.org"}, "quiet": {}} {
		title := "The " + name
		if _, err := db.CreateList(ctx, name, store.ListSettings{Title: &title, Owners: &own}); err != nil {
			t.Fatal(err)
		}
	}
	e.srv = smtptest.Start(t)
	tr, err := smtpsend.New(smtpsend.Options{Host: e.srv.Host, Port: e.srv.Port, TLS: smtpsend.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	mail := mailout.New(db, delivery.Outbox{Transport: tr}, mailout.Options{
		Book: listaddr.New(host, "https://"+host, []string{"majordomo"}), Now: func() time.Time { return e.now }})
	e.notice, err = bounces.NewOwnerNotice(mail, siteOwner, p, templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = bounces.New(db, e.notice, p, nil)
	return e
}

// listOf resolves a list by name (testwire.ListOf).
var listOf = testwire.ListOf

func (e *env) join(list, addr string, st store.Status) {
	e.t.Helper()
	a, err := address.Parse(addr)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.SetStatus(e.ctx, listOf(e.t, e.db, list), a, st, admin); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) member(list, addr string) *store.Member {
	e.t.Helper()
	m, err := e.db.GetMember(e.ctx, listOf(e.t, e.db, list), addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// score is the member's bounce score as the listing shows it (0: listed
// nowhere).
func (e *env) score(list, addr string) float64 {
	e.t.Helper()
	rows, err := bounces.Listing(e.ctx, e.db, listOf(e.t, e.db, list))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range rows {
		if r.Address == addr {
			return r.Score
		}
	}
	return 0
}

// bounceMail hands the service a report from internal/bounce's own test
// mails, delivered to LIST-bounces+VERP@.
func (e *env) bounceMail(list, verp, file string) ([]bounces.Scored, string) {
	e.t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "bounce", "testdata", "own", file))
	if err != nil {
		e.t.Fatal(err)
	}
	rcpt := list + "-bounces@" + host
	out, detail, err := e.svc.Handle(e.ctx, bounces.Message{List: list, Recipient: rcpt, VERP: verp, MessageID: "<b@x>", Raw: raw})
	if err != nil {
		e.t.Fatalf("Handle(%s): %v", file, err)
	}
	return out, detail
}

// startSend starts a send to list's active members whose Message-IDs are
// <nonce.SUBSCRIBER@host>.
func (e *env) startSend(list, nonce string) *store.Send {
	e.t.Helper()
	s, err := e.db.StartSend(e.ctx, store.NewSend{Issue: "i", Subject: "s", ContentHash: "h", ListID: listOf(e.t, e.db, list).ID,
		MsgIDNonce: nonce, MsgIDDomain: host, LeaseOwner: "t", LeaseUntil: e.now.Add(time.Hour)})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}
