package mailout_test

import (
	"bytes"
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/listaddr"
	"mailer/internal/maildir"
	"mailer/internal/mailout"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

var book = listaddr.New("lists.example.org", "https://lists.example.org", nil)

// env is a store on this run's backend with one list, and a clock the
// test moves.
type env struct {
	ctx  context.Context
	db   *store.DB
	list *store.List
	now  time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(t, "m.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{ctx: ctx, db: db, now: time.Date(2026, 3, 9, 14, 30, 5, 0, time.FixedZone("CET", 3600))}
	db.Now = func() time.Time { return e.now }
	title, from := "Weekly news", "Éditions Zoë <zoe@news.example.com>"
	if e.list, err = db.CreateList(ctx, "weekly", store.ListSettings{Title: &title, From: &from}); err != nil {
		t.Fatal(err)
	}
	return e
}

// mailer sends through out under caps, on the env's clock.
func (e *env) mailer(out mailout.Transport, caps mailout.Caps) *mailout.Mailer {
	return mailout.New(e.db, out, mailout.Options{Book: book, Caps: caps, Now: func() time.Time { return e.now }})
}

// sent counts the mails recorded for addr in the last hour.
func (e *env) sent(t *testing.T, addr string) int {
	t.Helper()
	n, err := e.db.RepliesSince(e.ctx, addr, "", e.now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// toMaildir is the outbox writing into a fresh Maildir, as the maildir
// transport setting does.
func toMaildir(t *testing.T) (delivery.Outbox, string) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	return delivery.Outbox{Transport: &maildir.Transport{Dir: dir}}, dir
}

// toSMTP is the outbox sending to a fresh test SMTP server.
func toSMTP(t *testing.T) (delivery.Outbox, *smtptest.Server) {
	t.Helper()
	srv := smtptest.Start(t)
	return delivery.Outbox{Transport: smtpTo(t, srv.Host, srv.Port)}, srv
}

func smtpTo(t *testing.T, host string, port int) *smtpsend.Transport {
	t.Helper()
	tr, err := smtpsend.New(smtpsend.Options{Host: host, Port: port, TLS: smtpsend.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// delivered reads the one message in the Maildir's new/.
func delivered(t *testing.T, dir string) (*mail.Message, []byte) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "new", "*"))
	if err != nil || len(files) != 1 {
		t.Fatalf("%d messages in %s/new (%v), want 1", len(files), dir, err)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, raw), raw
}

func parse(t *testing.T, raw []byte) *mail.Message {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a message: %v\n%s", err, raw)
	}
	return m
}
