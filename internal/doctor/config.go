package doctor

import (
	"context"
	"fmt"
	"strings"

	"mailer/internal/config"
	"mailer/internal/store"
	"mailer/templates"
)

// configChecks are the checks that need no network.
func configChecks(r *report, in Input) {
	cfg := in.Config
	switch {
	case cfg.Secret == "":
		r.add("secret", Fix, "secret is not set: links cannot be signed (mailer init writes one)", "")
	case len(cfg.Secret) < config.MinSecretLen:
		r.add("secret", Fix, fmt.Sprintf("secret is %d characters: use at least %d", len(cfg.Secret), config.MinSecretLen), "")
	default:
		r.add("secret", OK, fmt.Sprintf("secret is set (%d characters)", len(cfg.Secret)), "")
	}
	if strings.HasPrefix(string(cfg.BaseURL), "https://") {
		r.add("base_url", OK, fmt.Sprintf("base_url %s is https", cfg.BaseURL), "")
	} else {
		r.add("base_url", Fix, fmt.Sprintf("base_url %s is not https: mail providers want https for one-click unsubscribe (RFC 8058); put mailer serve behind a TLS proxy", cfg.BaseURL), "")
	}
	if cfg.ListHost == "lists.example.org" {
		r.add("list_host", Fix, "list_host is still the example lists.example.org: set your own domain", "")
	}
	if cfg.Owner == "" {
		r.add("owner", Warn, fmt.Sprintf("owner is not set: answers tell readers to write to postmaster@%s", cfg.ListHost), "")
	}
	if cfg.Transport.Kind != "smtp" {
		r.add("transport", Warn, fmt.Sprintf("transport is %s: mail is written to a Maildir, not sent", cfg.Transport), "")
	}
	switch {
	case cfg.DKIM.KeyFile == "":
		r.add("dkim", Fix, "DKIM is off: large mailbox providers require it of bulk senders; run mailer dkim keygen --selector S --domain YOURDOMAIN", "")
	case in.Signer == nil:
		r.add("dkim", Fix, fmt.Sprintf("DKIM key: %v", in.DKIMErr), "")
	default:
		r.add("dkim", OK, fmt.Sprintf("DKIM signs as d=%s s=%s", cfg.DKIM.Domain, cfg.DKIM.Selector), "")
	}
	for _, l := range in.Lists {
		switch {
		case l.FromAddress == "":
			r.add("from", Fix, fmt.Sprintf("list %s has no From address: mailer lists edit %s --from \"Name <address>\"", l.Name, l.Name), "")
		case cfg.DKIM.Domain == "":
		case aligned(domainOf(l.FromAddress), cfg.DKIM.Domain):
			r.add("from", OK, fmt.Sprintf("list %s: From %s is on the DKIM domain", l.Name, l.FromAddress), "")
		default:
			r.add("from", Fix, fmt.Sprintf("list %s: From %s is not on the DKIM domain %s, so DMARC fails", l.Name, l.FromAddress, cfg.DKIM.Domain), "")
		}
		listTemplates(r, l)
	}
}

// listTemplates checks a list's own template directory, which mail and
// pages would otherwise replace by the global look, logging why.
func listTemplates(r *report, l *store.List) {
	if l.TemplatesDir == "" {
		return
	}
	if err := templates.CheckList(l.Name, l.TemplatesDir); err != nil {
		r.add("templates", Fix, fmt.Sprintf("%v: fix it, or mailer lists edit %s --templates \"\" for the global look", err, l.Name), "")
		return
	}
	r.add("templates", OK, fmt.Sprintf("list %s: its own templates in %s parse", l.Name, l.TemplatesDir), "")
}

// relayCheck connects to the relay as a send would.
func relayCheck(ctx context.Context, r *report, in Input) {
	cfg := in.Config
	what, err := in.Probe(ctx)
	if err != nil {
		r.add("relay", Fix, fmt.Sprintf("SMTP relay %s:%d: %v", cfg.SMTP.Host, cfg.SMTP.Port, err), "")
		return
	}
	r.add("relay", OK, fmt.Sprintf("SMTP relay %s:%d: %s", cfg.SMTP.Host, cfg.SMTP.Port, what), "")
}
