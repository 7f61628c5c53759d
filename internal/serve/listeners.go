package serve

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/emersion/go-smtp"

	"mailer/internal/admin"
	"mailer/internal/app"
	"mailer/internal/esphooks"
	"mailer/internal/fault"
	"mailer/internal/mtaserver"
)

// listeners are the servers Run started.
type listeners struct {
	app     *app.App
	out     io.Writer
	errs    chan error
	addrs   Addrs
	mta     []*smtp.Server
	web     *http.Server
	admin   *http.Server
	pages   interface{ Wait() } // the form's queued work, finished before stopping
	stopped bool
}

func (ls *listeners) start(o Options) error {
	if o.HTTP != "" {
		if err := ls.startWeb(o.HTTP); err != nil {
			return err
		}
	}
	if o.Admin != "" {
		if err := ls.startAdmin(o.Admin); err != nil {
			return err
		}
	}
	var err error
	if o.LMTP != "" {
		if ls.addrs.LMTP, err = ls.startMTA(o.LMTP, true); err != nil {
			return err
		}
	}
	if o.SMTP != "" {
		if ls.addrs.SMTP, err = ls.startMTA(o.SMTP, false); err != nil {
			return err
		}
	}
	return nil
}

func (ls *listeners) startWeb(addr string) error {
	pages, err := ls.app.Web()
	if err != nil {
		return err
	}
	hooks, err := ls.app.Hooks(nil)
	if err != nil {
		return err
	}
	// The relays' webhooks (/hooks/NAME) beside the pages.
	mux := http.NewServeMux()
	mux.Handle(esphooks.Prefix, hooks)
	mux.Handle("/", pages.Handler())
	ls.pages = pages
	srv, bound, err := ls.serveHTTP(addr, ls.app.Metrics.HTTP("web", mux))
	if err != nil {
		return err
	}
	ls.web, ls.addrs.HTTP = srv, bound
	fmt.Fprintf(ls.out, "Serving the web pages on http://%s/ (public address %s)\n", bound, ls.app.Config.BaseURL)
	return nil
}

// startAdmin serves the owners' console, API and metrics (internal/admin)
// on their own listener.
func (ls *listeners) startAdmin(addr string) error {
	parts, err := ls.app.Admin()
	if err != nil {
		return err
	}
	srv, bound, err := ls.serveHTTP(addr, ls.app.Metrics.HTTP("admin", admin.Handler(parts)))
	if err != nil {
		return err
	}
	ls.admin, ls.addrs.Admin = srv, bound
	fmt.Fprintf(ls.out, "Serving the owners' console, API and metrics on http://%s/\n", bound)
	return nil
}

// serveHTTP listens on addr and serves h there until shutdown.
func (ls *listeners) serveHTTP(addr string, h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fault.Wrap(fault.Invalid, err, "listen on %s", addr)
	}
	// The timeouts: a slow or stalled client cannot hold a connection for
	// ever.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { ls.errs <- srv.Serve(ln) }()
	return srv, ln.Addr().String(), nil
}

// startMTA listens for mail on addr (LMTP or SMTP) and returns the
// address it is bound to.
func (ls *listeners) startMTA(addr string, lmtp bool) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fault.Wrap(fault.Invalid, err, "listen on %s", addr)
	}
	cfg := ls.app.Config
	s := mtaserver.New(ls.app.Inbound, mtaserver.Options{LMTP: lmtp, Domain: string(cfg.ListHost),
		MaxMessageBytes: int64(cfg.Inbound.MaxMessageBytes), Logger: ls.app.Logger})
	ls.mta = append(ls.mta, s)
	bound := ln.Addr().String()
	proto := map[bool]string{true: "LMTP", false: "SMTP"}[lmtp]
	fmt.Fprintf(ls.out, "Listening for %s on %s\n", proto, bound)
	go func() { ls.errs <- s.Serve(ln) }()
	return bound, nil
}

// shutdown lets the requests and sessions in progress finish (30 s at most).
func (ls *listeners) shutdown() {
	if ls.stopped {
		return
	}
	ls.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ls.web != nil {
		ls.web.Shutdown(ctx)
		// The subscribe requests answered but not yet worked through
		// (their confirmation to compose and send) finish first: a reader
		// who saw "check your mailbox" gets the mail.
		ls.pages.Wait()
	}
	if ls.admin != nil {
		ls.admin.Shutdown(ctx)
	}
	for _, s := range ls.mta {
		s.Shutdown(ctx)
	}
}
