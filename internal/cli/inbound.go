package cli

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"mailer/internal/bounces"
	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/inbound"
	"mailer/internal/mailout"
	"mailer/internal/optin"
	"mailer/internal/store"
	"mailer/internal/token"
	"mailer/templates"
)

// inboundSetup is what receive and serve share: the handler and what it
// was built from.
type inboundSetup struct {
	h       *inbound.Handler
	subs    *optin.Service
	bounces *bounces.Service
	db      *store.DB
	cfg     *config.Config
	signer  *token.Signer
}

// newHandler opens the store and wires the inbound handler to it.
func newHandler(ctx context.Context, d *Deps, log *slog.Logger) (*inboundSetup, error) {
	cfg, err := d.Config()
	if err != nil {
		return nil, err
	}
	db, err := d.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	in, err := buildHandler(d, cfg, db, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	return in, nil
}

// buildHandler wires the inbound handler, the opt-in workflow, the bounce
// service and the mail they send to an open store, the transport and the
// templates. The caller closes db.
func buildHandler(d *Deps, cfg *config.Config, db *store.DB, log *slog.Logger) (*inboundSetup, error) {
	signer, err := token.NewSigner(cfg.Secret)
	if err != nil {
		return nil, err
	}
	tr, _, err := newTransport(cfg)
	if err != nil {
		return nil, err
	}
	in, book, tmpl := cfg.Inbound, cfg.Book(), templates.Overlay(cfg.Resolve(cfg.TemplatesDir))
	mail := mailout.New(db, delivery.Outbox{Transport: tr, DialTimeout: time.Duration(cfg.SMTP.ConnectTimeout)}, mailout.Options{
		Book: book, Now: d.Now, Logger: log, Caps: mailout.Caps{PerAddressHour: in.RepliesPerSenderHour,
			PerHour: map[string]int{store.BudgetMail: in.RepliesPerHour, store.BudgetWeb: cfg.Web.ConfirmationsPerHour}}})
	subs, err := optin.New(db, mail, optin.Options{TTL: time.Duration(in.ConfirmTTL), Interval: time.Duration(in.ConfirmInterval),
		Contact: cfg.Contact, Looks: cfg.Looks(), Now: d.Now, Logger: log, Tokens: signer})
	if err != nil {
		return nil, err
	}
	policy := store.BouncePolicy{Threshold: cfg.Bounce.Threshold, Window: time.Duration(cfg.Bounce.Window)}
	svc := bounces.New(db, nil, policy, log)
	if cfg.Bounce.NotifyOwner {
		notice, err := bounces.NewOwnerNotice(mail, string(cfg.Owner), policy, tmpl)
		if err != nil {
			return nil, err
		}
		svc.Notify(notice)
	}
	h, err := inbound.New(db, inbound.Parts{Mail: mail, Subs: subs, Tokens: signer, Bounces: svc}, inbound.Options{
		Book: book, Owner: string(cfg.Owner), MaxCommands: in.MaxCommands, MaxMessageBytes: in.MaxMessageBytes,
		Templates: tmpl, Now: d.Now, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	return &inboundSetup{h: h, subs: subs, bounces: svc, db: db, cfg: cfg, signer: signer}, nil
}

// Exit codes for `mailer receive`, read by the MTA (sysexits.h).
const (
	exNoUser   = 67 // EX_NOUSER: not one of our addresses; the MTA bounces
	exNoPerm   = 77 // EX_NOPERM: a post to an announce-only list; the MTA bounces with our reason
	exTempFail = 75 // EX_TEMPFAIL: try again later
)

// receiveExitCode maps a handler error for an MTA pipe. Only two answers
// are permanent: the address is none of ours, and a post to an
// announce-only list. Anything else, our own trouble included (a config or
// database we cannot read, a missing directory, a bug), is a temporary
// failure: the MTA keeps the mail and a command is never lost. 75 and not
// 78 (EX_CONFIG): Exim's pipe retries only 75 and 73 by default.
func receiveExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, inbound.ErrUnknownRecipient):
		return exNoUser
	case errors.Is(err, inbound.ErrAnnounceOnly):
		return exNoPerm
	}
	return exTempFail
}
