package cli

import (
	"context"
	"log/slog"

	"github.com/spf13/cobra"

	"mailer/internal/serve"
)

// ServeOptions are the inputs of `mailer serve`.
type ServeOptions struct {
	Deps *Deps
	LMTP string
	SMTP string
	HTTP string
	// Admin is the owners' listener: console, API, metrics (--admin).
	Admin string
	// NoDeliver turns the delivery daemon off (--no-deliver).
	NoDeliver bool
	// Ready, when set, is told the listening addresses (for tests).
	Ready func(serve.Addrs)
}

func newCmdServe(d *Deps, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web pages and take mail from the MTA over LMTP (and SMTP)",
		Long: `serve serves the web pages at web.listen: one-click unsubscribe (RFC 8058),
confirmation, the subscribe form and the archive, with /healthz for monitors.
The owners' console, the HTTP API (/api/v1) and the metrics (/metrics) are
served apart, at admin.listen (default 127.0.0.1:8081), never on web.listen.

It also listens on loopback addresses for mail to mailer's addresses, which
the MTA hands over with LMTP (Postfix: transport_maps entry
"lists.example.org lmtp:inet:127.0.0.1:2424") or SMTP, and handles it as
receive does. Recipients that are not mailer's are refused at RCPT (550
5.1.1), as are posts to an announce-only list (550 5.7.1); LMTP answers each
recipient separately; a temporary problem answers 451 so the MTA retries.
It owns delivery: scheduled sends (mailer send ISSUE --at TIME) start when
they are due, and sends with messages left — a terminal closed mid-send, a
crash, deferred messages whose retry is due — are taken over once nobody
holds them (the lease: a terminal mailer send and the daemon never deliver
one send at once). --no-deliver turns that off.

SIGTERM or Ctrl-C stops it after the sessions in progress, and after the
messages in flight are handed over and recorded.`,
		Example: "  mailer serve\n  mailer serve --http 127.0.0.1:8080 --admin 127.0.0.1:8081 --lmtp 127.0.0.1:2424 --smtp 127.0.0.1:2525",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.LMTP, "lmtp", "", "LMTP listen address (default inbound.lmtp)")
	cmd.Flags().StringVar(&opts.SMTP, "smtp", "", "SMTP listen address (default inbound.smtp; empty: none)")
	cmd.Flags().StringVar(&opts.HTTP, "http", "", "HTTP listen address (default web.listen)")
	cmd.Flags().StringVar(&opts.Admin, "admin", "", "the owners' console, API and metrics listen address (default admin.listen)")
	cmd.Flags().BoolVar(&opts.NoDeliver, "no-deliver", false, "do not deliver sends (scheduled or left over)")
	return cmd
}

func serveRun(ctx context.Context, opts *ServeOptions) error {
	d := opts.Deps
	a, err := d.App(ctx, slog.New(slog.NewTextHandler(d.ErrOut, nil)))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	return serve.Run(ctx, a, serve.Options{LMTP: opts.LMTP, SMTP: opts.SMTP, HTTP: opts.HTTP, Admin: opts.Admin,
		NoDeliver: opts.NoDeliver, Out: d.Out, Ready: opts.Ready})
}
