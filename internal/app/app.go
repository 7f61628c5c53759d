// Package app builds mailer's service graph — store, token signer, address
// book, mail out, the opt-in workflow, the bounce service, the inbound
// handler, the web pages and the sender's transport — from a configuration
// and an open store. It is the one place that wires the packages together:
// the commands, `mailer serve` and the tests all run the graph it builds,
// the tests with their own transport and clock (after cli/cli's Factory).
package app

import (
	"io/fs"
	"log/slog"
	"time"

	"mailer/internal/auth"
	"mailer/internal/bounces"
	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/inbound"
	"mailer/internal/listaddr"
	"mailer/internal/mailout"
	"mailer/internal/metrics"
	"mailer/internal/optin"
	"mailer/internal/store"
	"mailer/internal/token"
	"mailer/templates"
)

// Options are what the caller brings besides the configuration and store.
type Options struct {
	Now    func() time.Time // nil: time.Now
	Logger *slog.Logger     // nil: discard
	// Outbox carries mailer's own mail (confirmations, answers, notices);
	// nil: the configured transport, DKIM-signed when a key is set.
	Outbox mailout.Transport
	// Templates are the templates of mailer's own mail; nil: the embedded
	// ones overlaid with templates_dir.
	Templates fs.FS
	// Version is the program's, for mailer_build_info.
	Version string
}

// App is the built graph. Its parts are shared by every edge.
type App struct {
	Config    *config.Config
	DB        *store.DB // the caller's: App never closes it
	Tokens    *token.Signer
	Book      listaddr.Book
	Templates fs.FS
	Mail      *mailout.Mailer
	Optin     *optin.Service
	Bounces   *bounces.Service
	Inbound   *inbound.Handler
	Auth      *auth.Service
	// Metrics counts what this process does and reads the store's gauges
	// at each scrape (served on the admin listener's /metrics).
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	Now     func() time.Time
}

// Build wires the services on db as cfg says.
func Build(cfg *config.Config, db *store.DB, o Options) (*App, error) {
	o = o.withDefaults(cfg)
	signer, err := token.NewSigner(cfg.Secret)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, DB: db, Tokens: signer, Book: cfg.Book(), Templates: o.Templates, Logger: o.Logger, Now: o.Now,
		Metrics: metrics.New(o.Version, db, metrics.Options{Now: o.Now, Logger: o.Logger})}
	a.Auth = a.auth()
	if o.Outbox == nil {
		tr, _, err := Transport(cfg)
		if err != nil {
			return nil, err
		}
		o.Outbox = delivery.Outbox{Transport: a.Metrics.Transport(tr), DialTimeout: time.Duration(cfg.SMTP.ConnectTimeout)}
	}
	a.Mail = a.mailer(o.Outbox)
	if a.Optin, err = a.optin(); err != nil {
		return nil, err
	}
	if a.Bounces, err = a.bounces(); err != nil {
		return nil, err
	}
	if a.Inbound, err = a.inbound(); err != nil {
		return nil, err
	}
	return a, nil
}

func (o Options) withDefaults(cfg *config.Config) Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Templates == nil {
		o.Templates = templates.Overlay(cfg.Resolve(cfg.TemplatesDir))
	}
	return o
}

// mailer sends mailer's own mail under the answer caps: per address, and
// per budget for mail commands and web forms apart.
func (a *App) mailer(out mailout.Transport) *mailout.Mailer {
	in := a.Config.Inbound
	return mailout.New(a.DB, out, mailout.Options{Book: a.Book, Now: a.Now, Logger: a.Logger,
		Caps: mailout.Caps{PerAddressHour: in.RepliesPerSenderHour, PerHour: map[string]int{
			store.BudgetMail: in.RepliesPerHour, store.BudgetWeb: a.Config.Web.ConfirmationsPerHour}}})
}

func (a *App) optin() (*optin.Service, error) {
	in := a.Config.Inbound
	return optin.New(a.DB, a.Mail, optin.Options{TTL: time.Duration(in.ConfirmTTL), Interval: time.Duration(in.ConfirmInterval),
		Contact: a.Config.Contact, Looks: a.Config.Looks(), Now: a.Now, Logger: a.Logger, Tokens: a.Tokens, Observer: a.Metrics})
}

// BouncePolicy is the configured scoring of bounces.
func (a *App) BouncePolicy() store.BouncePolicy {
	return store.BouncePolicy{Threshold: a.Config.Bounce.Threshold, Window: time.Duration(a.Config.Bounce.Window)}
}

func (a *App) bounces() (*bounces.Service, error) {
	svc := bounces.New(a.DB, nil, a.BouncePolicy(), a.Logger)
	svc.Identify(a.Book, a.Tokens) // complaints name their member by token, Message-ID or VERP
	svc.Observe(a.Metrics)
	if a.Config.Bounce.NotifyOwner {
		notice, err := bounces.NewOwnerNotice(a.Mail, string(a.Config.Owner), a.BouncePolicy(), a.Templates)
		if err != nil {
			return nil, err
		}
		svc.Notify(notice)
	}
	return svc, nil
}

func (a *App) inbound() (*inbound.Handler, error) {
	in := a.Config.Inbound
	return inbound.New(a.DB, inbound.Parts{Mail: a.Mail, Subs: a.Optin, Bounces: a.Bounces}, inbound.Options{
		Book: a.Book, Owner: string(a.Config.Owner), MaxCommands: in.MaxCommands, MaxMessageBytes: in.MaxMessageBytes,
		Templates: a.Templates, Now: a.Now, Logger: a.Logger, Observer: a.Metrics,
	})
}
