package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"mailer/internal/app"
	"mailer/internal/doctor"
	"mailer/internal/fault"
)

// DoctorOptions are the inputs of `mailer doctor`.
type DoctorOptions struct {
	Deps       *Deps
	JSON       bool
	SendingIPs []string
	Resolver   string // a DNS server to ask instead of the system's
	PostfixDir string // Postfix's config directory ("": its default)
}

func newCmdDoctor(d *Deps, runF func(context.Context, *DoctorOptions) error) *cobra.Command {
	opts := &DoctorOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the configuration, the DNS records and the SMTP relay",
		Long: `doctor checks what decides whether mail lands in the inbox, one line per
check (OK, WARN or FIX): the secret, an https base URL, DKIM signing and
each list's From on the DKIM domain; the SMTP relay (it connects, says EHLO,
STARTTLS and AUTH as configured); and the DNS: the MX of list_host, its SPF
record (does it permit the sending address?), the DKIM record (is it the
configured key?), DMARC for each From domain, and the PTR of the sending
address (does its name resolve back?). Where Postfix is installed, it warns
when list_host is one of Postfix's mydestination domains (Postfix then
refuses the list addresses as unknown local users). A FIX that a record would fix prints
the record to publish, split into 255-character strings as zone files need.

The sending address is the relay's public address; when the relay is this
machine or on a private network, give the address receivers see with
--sending-ip. A check the name server did not answer is UNKNOWN (not a
missing record): run doctor again when it answers. Exit 0 only when
nothing needs fixing and every check was made.`,
		Example: "  mailer doctor\n  mailer doctor --sending-ip 203.0.113.7 --json\n  mailer doctor --resolver 9.9.9.9:53",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return doctorRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the checks as JSON")
	cmd.Flags().StringSliceVar(&opts.SendingIPs, "sending-ip", nil, "the address receivers see the mail come from (repeatable)")
	cmd.Flags().StringVar(&opts.Resolver, "resolver", "", "ask this DNS server (HOST:PORT) instead of the system's")
	cmd.Flags().StringVar(&opts.PostfixDir, "postfix-config", "", "Postfix's config directory, for postconf -c (default: Postfix's own)")
	return cmd
}

func doctorRun(ctx context.Context, opts *DoctorOptions) error {
	d := opts.Deps
	cfg, err := d.Config()
	if err != nil {
		return err
	}
	in := app.DoctorInput(cfg)
	in.Resolver, in.NameServer = doctor.NameServer(opts.Resolver), opts.Resolver
	in.Postconf = doctor.PostconfCommand(opts.PostfixDir)
	for _, s := range opts.SendingIPs {
		ip := net.ParseIP(s)
		if ip == nil {
			return usageErrorf("--sending-ip %q is not an IP address", s)
		}
		in.SendingIPs = append(in.SendingIPs, ip)
	}
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if in.Lists, err = db.Lists(ctx); err != nil {
		return err
	}
	checks := doctor.Run(ctx, in)
	if opts.JSON {
		if err := writeJSON(d.Out, checks); err != nil {
			return err
		}
	} else {
		printChecks(d, checks)
	}
	if n := doctor.Fixes(checks); n > 0 {
		return fault.Errorf(fault.Invalid, "%d thing(s) to fix", n)
	}
	if n := doctor.Unknowns(checks); n > 0 {
		// Not "all good": those records were not seen.
		return fault.Errorf(fault.Unavailable, "%d check(s) not made: the name server did not answer", n)
	}
	return nil
}

func printChecks(d *Deps, checks []doctor.Check) {
	for _, c := range checks {
		fmt.Fprintf(d.Out, "%-4s %s\n", c.Level, c.Message)
		if c.Record != "" {
			fmt.Fprintf(d.Out, "     publish: %s\n", c.Record)
		}
	}
}
