package inbound_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/inbound"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// burstEnv is a handler with small caps and a clock the test moves.
type burstEnv struct {
	*env
	now time.Time
}

func newBurstEnv(t *testing.T, perHour int) *burstEnv {
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(t, "b.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	title := "BPF updates"
	if _, err := db.CreateList(ctx, "bpf-updates", store.ListSettings{Title: &title}); err != nil {
		t.Fatal(err)
	}
	srv := smtptest.Start(t)
	tr, err := smtpsend.New(smtpsend.Options{Host: srv.Host, Port: srv.Port, TLS: smtpsend.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	b := &burstEnv{now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	db.Now = func() time.Time { return b.now }
	w := testwire.Build(t, db, delivery.Outbox{Transport: tr}, testwire.Options{PerAddressHour: 3, MailPerHour: perHour,
		WebPerHour: 200, Now: db.Now})
	b.env = &env{t: t, db: db, srv: srv, h: w.Handler, signer: w.Signer}
	return b
}

// deliver hands one command mail to the handler, as the MTA would again.
func (b *burstEnv) deliver(from, body string) error {
	raw := fmt.Sprintf("From: %s\r\nTo: majordomo@%s\r\nMessage-ID: <%s@example.org>\r\nSubject: x\r\n\r\n%s\r\n",
		from, host, strings.ReplaceAll(from, "@", "."), body)
	_, err := b.h.Handle(context.Background(), inbound.Delivery{Recipient: "majordomo@" + host, Sender: from, SenderKnown: true, Raw: []byte(raw)})
	return err
}

func (b *burstEnv) capped(scope string) int {
	counts, err := b.db.CappedSince(context.Background(), b.now.Add(-24*time.Hour))
	if err != nil {
		b.t.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		if c.Cap == scope {
			n += c.N
		}
	}
	return n
}

// TestBurstOfSubscriptionsLosesNoReader: more subscriptions by mail than
// the hour's budget. Each costs one mail; those past the site-wide cap
// are held (ErrHeld: the MTA tries again) with nothing committed, and all
// are in once the budget allows.
func TestBurstOfSubscriptionsLosesNoReader(t *testing.T) {
	b := newBurstEnv(t, 20)
	var held []string
	for i := range 30 {
		from := fmt.Sprintf("reader%d@example.org", i)
		err := b.deliver(from, "subscribe bpf-updates")
		switch {
		case errors.Is(err, inbound.ErrHeld):
			held = append(held, from)
		case err != nil:
			t.Fatalf("%s: %v", from, err)
		}
	}
	if len(held) != 10 || b.capped(store.CapSite) != 10 {
		t.Fatalf("%d held, %d counted, want 10 past a budget of 20 one-mail subscriptions", len(held), b.capped(store.CapSite))
	}
	for _, from := range held {
		last, _ := b.db.LastConfirmation(context.Background(), 1, from, "subscribe")
		if b.status(from) != "" || !last.IsZero() || len(b.mailsTo(from)) != 0 {
			t.Fatalf("%s was held but has status %q, a confirmation %v, %d mails", from, b.status(from), last, len(b.mailsTo(from)))
		}
	}
	b.now = b.now.Add(61 * time.Minute) // the MTA's retry, once the budget allows
	for _, from := range held {
		if err := b.deliver(from, "subscribe bpf-updates"); err != nil {
			t.Fatalf("retry of %s: %v", from, err)
		}
	}
	for i := range 30 {
		from := fmt.Sprintf("reader%d@example.org", i)
		if got := b.mailsTo(from); b.status(from) != store.Pending || len(got) != 1 || !strings.HasPrefix(got[0].Subject, "Confirm:") {
			t.Fatalf("%s: status %q, %d mails, want pending with one confirmation", from, b.status(from), len(got))
		}
	}
}

// TestHeldMailCommitsNothing: a mail needing two mails (a confirmation to
// another address and the answer) when one is left is held whole.
func TestHeldMailCommitsNothing(t *testing.T) {
	b := newBurstEnv(t, 2)
	if err := b.deliver("first@example.org", "help"); err != nil {
		t.Fatal(err)
	}
	err := b.deliver("asker@example.org", "subscribe bpf-updates friend@example.org")
	if !errors.Is(err, inbound.ErrHeld) || b.status("friend@example.org") != "" || len(b.srv.Messages()) != 1 {
		t.Fatalf("err %v, friend %q, %d mails", err, b.status("friend@example.org"), len(b.srv.Messages()))
	}
}

// TestPerAddressCapDrops: one address asking again and again is answered
// up to its cap; the rest is dropped (not retried), and counted.
func TestPerAddressCapDrops(t *testing.T) {
	b := newBurstEnv(t, 100)
	for range 5 {
		if err := b.deliver("eve@example.org", "help"); err != nil {
			t.Fatalf("the per-address cap held a mail back: %v", err)
		}
	}
	if n := len(b.mailsTo("eve@example.org")); n != 3 || b.capped(store.CapAddress) != 2 || b.capped(store.CapSite) != 0 {
		t.Fatalf("%d answers, %d dropped, %d held", n, b.capped(store.CapAddress), b.capped(store.CapSite))
	}
}
