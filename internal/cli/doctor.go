package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"mailer/internal/config"
	"mailer/internal/dkimsign"
	"mailer/internal/fault"
)

// DoctorOptions are the inputs of `mailer doctor`.
type DoctorOptions struct {
	Deps *Deps
}

func newCmdDoctor(d *Deps, runF func(context.Context, *DoctorOptions) error) *cobra.Command {
	opts := &DoctorOptions{Deps: d}
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check what a sender needs, and print the DNS records to publish",
		Long: `doctor checks the configuration that decides whether mail lands in the inbox:
the secret, an https base URL, DKIM signing, each list's From on the DKIM
domain, the transport. It prints one line per check (OK, WARN or FIX) and
then the DNS records to publish: MX and SPF for the list host, the DKIM key,
and DMARC for each From domain. It looks nothing up: compare the records
with your DNS yourself (dig TXT ...). Exit 1 when something needs fixing.`,
		Example: "  mailer doctor",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return doctorRun(cmd.Context(), opts)
		},
	}
}

func doctorRun(ctx context.Context, opts *DoctorOptions) error {
	d := opts.Deps
	cfg, err := d.Config()
	if err != nil {
		return err
	}
	fixes := 0
	say := func(level, format string, args ...any) {
		if level == "FIX" {
			fixes++
		}
		fmt.Fprintf(d.Out, "%-4s %s\n", level, fmt.Sprintf(format, args...))
	}
	switch {
	case cfg.Secret == "":
		say("FIX", "secret is not set: links cannot be signed (mailer init writes one)")
	case len(cfg.Secret) < config.MinSecretLen:
		say("FIX", "secret is %d characters: use at least %d", len(cfg.Secret), config.MinSecretLen)
	default:
		say("OK", "secret is set (%d characters)", len(cfg.Secret))
	}
	if strings.HasPrefix(string(cfg.BaseURL), "https://") {
		say("OK", "base_url %s is https", cfg.BaseURL)
	} else {
		say("FIX", "base_url %s is not https: mail providers want https for one-click unsubscribe (RFC 8058); put mailer serve behind a TLS proxy", cfg.BaseURL)
	}
	if cfg.ListHost == "lists.example.org" {
		say("FIX", "list_host is still the example lists.example.org: set your own domain")
	}
	if cfg.Owner == "" {
		say("WARN", "owner is not set: answers tell readers to write to postmaster@%s", cfg.ListHost)
	}
	if cfg.Transport.Kind != "smtp" {
		say("WARN", "transport is %s: mail is written to a Maildir, not sent", cfg.Transport)
	} else {
		say("OK", "transport: smtp %s:%d (%s)", cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS)
	}
	var signer *dkimsign.Signer
	if cfg.DKIM.KeyFile == "" {
		say("FIX", "DKIM is off: large mailbox providers require it of bulk senders; run mailer dkim keygen --selector S --domain YOURDOMAIN")
	} else if signer, err = dkimsign.Load(cfg.DKIM.Domain, cfg.DKIM.Selector, cfg.Resolve(cfg.DKIM.KeyFile)); err != nil {
		say("FIX", "DKIM key: %v", err)
	} else {
		say("OK", "DKIM signs as d=%s s=%s", cfg.DKIM.Domain, cfg.DKIM.Selector)
	}
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	lists, err := db.Lists(ctx)
	if err != nil {
		return err
	}
	fromDomains := map[string]bool{}
	for _, l := range lists {
		if l.FromAddress == "" {
			say("FIX", "list %s has no From address: mailer lists edit %s --from \"Name <address>\"", l.Name, l.Name)
			continue
		}
		dom := strings.ToLower(l.FromAddress[strings.LastIndexByte(l.FromAddress, '@')+1:])
		fromDomains[dom] = true
		switch {
		case cfg.DKIM.Domain == "":
		case aligned(dom, cfg.DKIM.Domain):
			say("OK", "list %s: From %s is on the DKIM domain", l.Name, l.FromAddress)
		default:
			say("FIX", "list %s: From %s is not on the DKIM domain %s, so DMARC fails", l.Name, l.FromAddress, cfg.DKIM.Domain)
		}
	}
	fmt.Fprintf(d.Out, "\nDNS records to publish:\n")
	fmt.Fprintf(d.Out, "  %s. IN MX 10 <your mail server>.   ; commands and bounces to list addresses reach your MTA\n", cfg.ListHost)
	fmt.Fprintf(d.Out, "  %s. IN TXT \"v=spf1 mx a:%s ~all\"   ; the envelope sender is LIST-bounces@%s; add include: for a relay\n",
		cfg.ListHost, cfg.SMTP.Host, cfg.ListHost)
	if signer != nil {
		rec, err := signer.TXTRecord()
		if err == nil {
			fmt.Fprintf(d.Out, "  %s. IN TXT \"%s\"\n", signer.RecordName(), rec)
		}
	}
	for dom := range fromDomains {
		owner := string(cfg.Owner)
		if i := strings.IndexByte(owner, '<'); i >= 0 {
			owner = strings.Trim(owner[i:], "<>")
		}
		if owner == "" {
			owner = "postmaster@" + dom
		}
		fmt.Fprintf(d.Out, "  _dmarc.%s. IN TXT \"v=DMARC1; p=none; rua=mailto:%s\"   ; start with p=none, then quarantine\n", dom, owner)
	}
	if fixes > 0 {
		return fault.Errorf(fault.Invalid, "%d thing(s) to fix", fixes)
	}
	return nil
}

// aligned is DMARC's relaxed alignment: the From domain is the DKIM domain
// or below it.
func aligned(from, dkim string) bool {
	from, dkim = strings.ToLower(from), strings.ToLower(dkim)
	return from == dkim || strings.HasSuffix(from, "."+dkim)
}
