package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/spf13/cobra"

	"mailer/internal/app"
	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/dkimsign"
	"mailer/internal/fault"
	"mailer/internal/mtaserver"
	"mailer/internal/sending"
	"mailer/internal/store"
	"mailer/templates"
)

// ServeOptions are the inputs of `mailer serve`.
type ServeOptions struct {
	Deps *Deps
	LMTP string
	SMTP string
	HTTP string
	// NoDeliver turns the delivery daemon off (--no-deliver).
	NoDeliver bool
	// Ready, when set, is told the listening addresses (for tests).
	Ready func(lmtp, smtp, http string)
}

func newCmdServe(d *Deps, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web pages and take mail from the MTA over LMTP (and SMTP)",
		Long: `serve serves the web pages at web.listen: one-click unsubscribe (RFC 8058),
confirmation, the subscribe form and the archive, with /healthz for monitors.

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
		Example: "  mailer serve\n  mailer serve --http 127.0.0.1:8080 --lmtp 127.0.0.1:2424 --smtp 127.0.0.1:2525",
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
	cmd.Flags().BoolVar(&opts.NoDeliver, "no-deliver", false, "do not deliver sends (scheduled or left over)")
	return cmd
}

func serveRun(ctx context.Context, opts *ServeOptions) error {
	d := opts.Deps
	log := slog.New(slog.NewTextHandler(d.ErrOut, nil))
	in, err := d.App(ctx, log)
	if err != nil {
		return err
	}
	h, db, cfg := in.Inbound, in.DB, in.Config
	defer db.Close()
	if err := checkListTemplates(ctx, db); err != nil {
		return err
	}
	lmtpAddr, smtpAddr := firstNonEmpty(opts.LMTP, cfg.Inbound.LMTP), firstNonEmpty(opts.SMTP, cfg.Inbound.SMTP)
	httpAddr := firstNonEmpty(opts.HTTP, cfg.Web.Listen)
	if lmtpAddr == "" && smtpAddr == "" && httpAddr == "" && opts.NoDeliver {
		return fault.Errorf(fault.Invalid, "nothing to serve: set web.listen, inbound.lmtp or inbound.smtp in %s", cfg.Path)
	}
	daemonDone := make(chan struct{})
	daemonCtx, stopDaemon := context.WithCancel(ctx)
	defer stopDaemon()
	if opts.NoDeliver {
		close(daemonDone)
	} else {
		dm := newDaemon(d, cfg, db, in, log)
		go func() { defer close(daemonDone); dm.Loop(daemonCtx, daemonEvery) }()
	}
	var servers []*smtp.Server
	var addrs [3]string
	errs := make(chan error, 3)
	var httpSrv *http.Server
	if httpAddr != "" {
		pages, err := in.Web()
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", httpAddr)
		if err != nil {
			return fault.Wrap(fault.Invalid, err, "listen on %s", httpAddr)
		}
		httpSrv = &http.Server{Handler: pages.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
		addrs[2] = ln.Addr().String()
		fmt.Fprintf(d.Out, "Serving the web pages on http://%s/ (public address %s)\n", addrs[2], cfg.BaseURL)
		go func() { errs <- httpSrv.Serve(ln) }()
	}
	for i, spec := range []struct {
		addr string
		lmtp bool
	}{{lmtpAddr, true}, {smtpAddr, false}} {
		if spec.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", spec.addr)
		if err != nil {
			return fault.Wrap(fault.Invalid, err, "listen on %s", spec.addr)
		}
		s := mtaserver.New(h, mtaserver.Options{LMTP: spec.lmtp, Domain: string(cfg.ListHost),
			MaxMessageBytes: int64(cfg.Inbound.MaxMessageBytes), Logger: log})
		servers = append(servers, s)
		addrs[i] = ln.Addr().String()
		proto := map[bool]string{true: "LMTP", false: "SMTP"}[spec.lmtp]
		fmt.Fprintf(d.Out, "Listening for %s on %s\n", proto, addrs[i])
		go func() { errs <- s.Serve(ln) }()
	}
	if opts.Ready != nil {
		opts.Ready(addrs[0], addrs[1], addrs[2])
	}
	select {
	case <-ctx.Done():
	case err := <-errs:
		if err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, http.ErrServerClosed) {
			return fault.Wrap(fault.Unavailable, err, "serve")
		}
	}
	// Graceful: finish the requests and sessions in progress.
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if httpSrv != nil {
		httpSrv.Shutdown(shutdown)
	}
	for _, s := range servers {
		s.Shutdown(shutdown)
	}
	stopDaemon()
	<-daemonDone // the messages in flight are handed over and recorded
	fmt.Fprintln(d.Out, "Stopped.")
	return nil
}

// daemonEvery is how often the delivery daemon looks for work.
const daemonEvery = 5 * time.Second

// newDaemon wires the delivery daemon to serve's store and bounce service.
func newDaemon(d *Deps, cfg *config.Config, db *store.DB, in *app.App, log *slog.Logger) *sending.Daemon {
	return &sending.Daemon{Config: cfg, DB: db, Refusals: in.Bounces, Now: d.Now, Log: log, WaitLimit: time.Minute,
		Transport: func() (delivery.Transport, *dkimsign.Signer, string, error) { return app.SendTransport(cfg) }}
}

// checkListTemplates refuses to start with a list's own templates missing
// or broken: its pages and mail would quietly take the global look.
func checkListTemplates(ctx context.Context, db *store.DB) error {
	lists, err := db.Lists(ctx)
	if err != nil {
		return err
	}
	for _, l := range lists {
		if l.TemplatesDir == "" {
			continue
		}
		if err := templates.CheckList(l.Name, l.TemplatesDir); err != nil {
			return fault.Explain(fault.Invalid, err, "%v: fix it, or mailer lists edit %s --templates \"\" for the global look", err, l.Name)
		}
	}
	return nil
}
