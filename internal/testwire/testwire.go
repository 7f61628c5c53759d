// Package testwire wires the inbound handler, the opt-in workflow, the
// bounce service and the mail they send on a real store for the tests of
// the packages that use them (inbound, web), as `mailer receive` and
// `mailer serve` wire them (internal/cli/inbound.go).
package testwire

import (
	"testing"
	"time"

	"mailer/internal/bounces"
	"mailer/internal/inbound"
	"mailer/internal/listaddr"
	"mailer/internal/mailout"
	"mailer/internal/optin"
	"mailer/internal/store"
	"mailer/internal/token"
	"mailer/templates"
)

// Host and BaseURL of the tests' lists.
const (
	Host    = "lists.example.org"
	BaseURL = "https://lists.example.org"
)

// Book is the tests' address book.
var Book = listaddr.New(Host, BaseURL, []string{"majordomo"})

// Options tune the wiring; zero values take the defaults of a fresh config.
type Options struct {
	Owner                   string
	PerAddressHour          int
	MailPerHour, WebPerHour int
	ConfirmTTL, Interval    time.Duration
	BounceThreshold         float64
	NotifyOwner             bool
	Now                     func() time.Time
}

// Wired is everything built.
type Wired struct {
	Mail    *mailout.Mailer
	Subs    *optin.Service
	Bounces *bounces.Service
	Handler *inbound.Handler
	Signer  *token.Signer
}

// Build wires the services on db, sending through out.
func Build(tb testing.TB, db *store.DB, out mailout.Transport, o Options) *Wired {
	tb.Helper()
	if o.ConfirmTTL == 0 {
		o.ConfirmTTL = 7 * 24 * time.Hour
	}
	if o.Interval == 0 {
		o.Interval = time.Hour
	}
	if o.BounceThreshold == 0 {
		o.BounceThreshold = 5
	}
	signer, err := token.NewSigner("0123456789abcdef0123456789abcdef")
	if err != nil {
		tb.Fatal(err)
	}
	mail := mailout.New(db, out, mailout.Options{Book: Book, Now: o.Now, Caps: mailout.Caps{PerAddressHour: o.PerAddressHour,
		PerHour: map[string]int{store.BudgetMail: o.MailPerHour, store.BudgetWeb: o.WebPerHour}}})
	subs, err := optin.New(db, mail, optin.Options{TTL: o.ConfirmTTL, Interval: o.Interval, Looks: templates.Looks{}, Now: o.Now, Tokens: signer})
	if err != nil {
		tb.Fatal(err)
	}
	policy := store.BouncePolicy{Threshold: o.BounceThreshold, Window: 7 * 24 * time.Hour}
	svc := bounces.New(db, nil, policy, nil)
	if o.NotifyOwner {
		n, err := bounces.NewOwnerNotice(mail, o.Owner, policy, templates.FS)
		if err != nil {
			tb.Fatal(err)
		}
		svc.Notify(n)
	}
	h, err := inbound.New(db, inbound.Parts{Mail: mail, Subs: subs, Tokens: signer, Bounces: svc}, inbound.Options{
		Book: Book, Owner: o.Owner, MaxCommands: 50, MaxMessageBytes: 1 << 20, Templates: templates.FS, Now: o.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return &Wired{Mail: mail, Subs: subs, Bounces: svc, Handler: h, Signer: signer}
}
