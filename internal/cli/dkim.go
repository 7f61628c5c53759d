package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"mailer/internal/config"
	"mailer/internal/dkimsign"
	"mailer/internal/doctor"
)

func newCmdDKIM(d *Deps) *cobra.Command {
	return group("dkim", "DKIM signing keys", "  mailer dkim keygen --selector mail2026 --domain example.org",
		newCmdDKIMKeygen(d, nil))
}

// DKIMKeygenOptions are the inputs of `mailer dkim keygen`.
type DKIMKeygenOptions struct {
	Deps      *Deps
	Selector  string
	Domain    string
	Algorithm string
	Output    string
	JSON      bool
}

// keygenResult is `dkim keygen --json`'s output.
type keygenResult struct {
	KeyFile    string `json:"key_file"` // the value for mailer.toml
	Written    string `json:"written"`  // where the key was written
	Domain     string `json:"domain"`
	Selector   string `json:"selector"`
	RecordName string `json:"record_name"` // SELECTOR._domainkey.DOMAIN
	TXT        string `json:"txt"`         // the record's value, whole
	ZoneTXT    string `json:"zone_txt"`    // the value as quoted strings of at most 255 characters
}

func newCmdDKIMKeygen(d *Deps, runF func(context.Context, *DKIMKeygenOptions) error) *cobra.Command {
	opts := &DKIMKeygenOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "keygen --selector S",
		Short: "Make a DKIM key and print the DNS record to publish",
		Long: `keygen writes a new private key (RSA-2048 by default, or Ed25519) and prints
the TXT record to publish at SELECTOR._domainkey.DOMAIN and the [dkim]
lines for mailer.toml. Sign with RSA for the widest reach; receivers that
understand Ed25519 (RFC 8463) are fewer, and it is much cheaper to sign.`,
		Example: "  mailer dkim keygen --selector mail2026 --domain example.org\n  mailer dkim keygen --selector ed2026 --algorithm ed25519 -o /srv/mailer/dkim-ed.key",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Selector == "" {
				return usageErrorf("--selector is required")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return dkimKeygenRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Selector, "selector", "", "DKIM selector, e.g. mail2026")
	f.StringVar(&opts.Domain, "domain", "", "signing domain (default: the domain of the config's owner, else list_host)")
	f.StringVar(&opts.Algorithm, "algorithm", "rsa", "rsa (2048 bits) or ed25519")
	f.StringVarP(&opts.Output, "output", "o", "", "key file (default dkim-SELECTOR.key beside the config)")
	f.BoolVar(&opts.JSON, "json", false, "print the key file setting and the record as JSON")
	return cmd
}

func dkimKeygenRun(_ context.Context, opts *DKIMKeygenOptions) error {
	d := opts.Deps
	domain, dir := opts.Domain, "."
	if cfg, err := d.Config(); err == nil {
		dir = cfg.Dir
		if domain == "" {
			domain = string(cfg.ListHost)
		}
	}
	if domain == "" {
		return usageErrorf("--domain is required without a config")
	}
	out := opts.Output
	if out == "" {
		out = filepath.Join(dir, "dkim-"+opts.Selector+".key")
	}
	rec, err := dkimsign.NewKeyFile(out, opts.Algorithm)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(d.Out, keygenResult{KeyFile: config.PathSetting(dir, out), Written: out, Domain: domain, Selector: opts.Selector,
			RecordName: dkimsign.RecordName(opts.Selector, domain), TXT: rec, ZoneTXT: doctor.QuoteTXT(rec)})
	}
	fmt.Fprintf(d.Out, "Wrote %s (keep it private).\n\nPublish this DNS record:\n\n  %s. IN TXT %s\n\n", out, dkimsign.RecordName(opts.Selector, domain),
		doctor.QuoteTXT(rec))
	fmt.Fprintf(d.Out, "Then set in mailer.toml:\n\n  [dkim]\n  domain = %q\n  selector = %q\n  key_file = %q\n", domain, opts.Selector,
		config.PathSetting(dir, out))
	return nil
}
