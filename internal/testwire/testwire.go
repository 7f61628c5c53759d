// Package testwire builds the program's own service graph (internal/app)
// for the tests of the packages it wires (inbound, web, optin), with the
// test doubles they need: a transport that records, a clock they set, and
// knobs a fresh configuration would otherwise fix.
package testwire

import (
	"context"
	"testing"
	"time"

	"mailer/internal/app"
	"mailer/internal/bounces"
	"mailer/internal/config"
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

// Options tune the wiring. Zero caps are no caps; zero durations and
// threshold take a fresh config's defaults.
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
	App     *app.App
	Mail    *mailout.Mailer
	Subs    *optin.Service
	Bounces *bounces.Service
	Handler *inbound.Handler
	Signer  *token.Signer
}

// Config is the configuration the tests' graph is built from.
func Config(o Options) *config.Config {
	cfg := config.Default()
	cfg.ListHost, cfg.BaseURL, cfg.Inbound.Aliases = Host, BaseURL, []string{"majordomo"}
	cfg.Secret = "0123456789abcdef0123456789abcdef"
	cfg.Owner = config.Mailbox(o.Owner)
	cfg.Inbound.RepliesPerSenderHour, cfg.Inbound.RepliesPerHour = o.PerAddressHour, o.MailPerHour
	cfg.Web.ConfirmationsPerHour = o.WebPerHour
	if o.ConfirmTTL != 0 {
		cfg.Inbound.ConfirmTTL = config.Duration(o.ConfirmTTL)
	}
	if o.Interval != 0 {
		cfg.Inbound.ConfirmInterval = config.Duration(o.Interval)
	}
	if o.BounceThreshold != 0 {
		cfg.Bounce.Threshold = o.BounceThreshold
	}
	cfg.Bounce.NotifyOwner = o.NotifyOwner
	cfg.Admin.Listen = "" // a test that wants the owners' listener asks for it (serve.Options.Admin)
	return &cfg
}

// Build builds the graph on db, sending mailer's own mail through out.
func Build(tb testing.TB, db *store.DB, out mailout.Transport, o Options) *Wired {
	tb.Helper()
	a, err := app.Build(Config(o), db, app.Options{Now: o.Now, Outbox: out, Templates: templates.FS})
	if err != nil {
		tb.Fatal(err)
	}
	return &Wired{App: a, Mail: a.Mail, Subs: a.Optin, Bounces: a.Bounces, Handler: a.Inbound, Signer: a.Tokens}
}

// ListOf resolves a list by name for the store's member-level methods,
// which take the list itself.
func ListOf(tb testing.TB, db *store.DB, name string) *store.List {
	tb.Helper()
	l, err := db.GetList(context.Background(), name)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}
