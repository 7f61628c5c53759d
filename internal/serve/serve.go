// Package serve runs mailer's long-lived process: the web pages, the LMTP
// and SMTP listeners the MTA hands mail to, the delivery daemon and the
// event webhooks' dispatcher, all on one service graph, and stops them in
// order so that nothing in progress is lost. `mailer serve` is a thin command over Run.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/emersion/go-smtp"

	"mailer/internal/app"
	"mailer/internal/fault"
)

// DaemonEvery is how often the delivery daemon looks for work.
const DaemonEvery = 5 * time.Second

// HooksEvery is how often the event webhooks' dispatcher looks for events.
const HooksEvery = 2 * time.Second

// Options say what to serve. Empty addresses fall back to the
// configuration's (web.listen, admin.listen, inbound.lmtp, inbound.smtp).
type Options struct {
	LMTP, SMTP, HTTP string
	// Admin is the owners' listener: console, API and metrics.
	Admin string
	// NoDeliver turns the delivery daemon off.
	NoDeliver bool
	// Out is told what listens where, and when it stopped.
	Out io.Writer
	// Ready, when set, is told the listening addresses (for tests).
	Ready func(Addrs)
}

// Addrs are the addresses Run listens on; empty: not served.
type Addrs struct{ LMTP, SMTP, HTTP, Admin string }

// Run serves until ctx ends or a listener fails, then shuts down gracefully:
// the requests and sessions in progress finish, and the daemon hands over
// and records the messages in flight before Run returns.
func Run(ctx context.Context, a *app.App, o Options) error {
	cfg := a.Config
	if err := checkListTemplates(ctx, a.DB); err != nil {
		return err
	}
	o.LMTP, o.SMTP, o.HTTP = orDefault(o.LMTP, cfg.Inbound.LMTP), orDefault(o.SMTP, cfg.Inbound.SMTP), orDefault(o.HTTP, cfg.Web.Listen)
	o.Admin = orDefault(o.Admin, cfg.Admin.Listen)
	if o.LMTP == "" && o.SMTP == "" && o.HTTP == "" && o.Admin == "" && o.NoDeliver {
		return fault.Errorf(fault.Invalid, "nothing to serve: set web.listen, admin.listen, inbound.lmtp or inbound.smtp in %s", cfg.Path)
	}
	// The webhooks stop last: the events of the last changes still go out.
	stopHooks := startHooks(ctx, a)
	defer stopHooks()
	stopDaemon := startDaemon(ctx, a, o.NoDeliver)
	defer stopDaemon()
	ls := &listeners{app: a, out: o.Out, errs: make(chan error, 4)}
	defer ls.shutdown()
	if err := ls.start(o); err != nil {
		return err
	}
	if o.Ready != nil {
		o.Ready(ls.addrs)
	}
	select {
	case <-ctx.Done():
	case err := <-ls.errs:
		if err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, http.ErrServerClosed) {
			return fault.Wrap(fault.Unavailable, err, "serve")
		}
	}
	ls.shutdown()
	stopDaemon()
	stopHooks()
	fmt.Fprintln(o.Out, "Stopped.")
	return nil
}

// startDaemon runs the delivery daemon until the returned function is
// called; that function returns once the daemon has stopped, and may be
// called more than once.
func startDaemon(ctx context.Context, a *app.App, off bool) (stop func()) {
	if off {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	dm := a.Daemon()
	go func() { defer close(done); dm.Loop(ctx, DaemonEvery) }()
	return func() {
		cancel()
		<-done // the messages in flight are handed over and recorded
	}
}

// startHooks runs the event webhooks' dispatcher until the returned
// function is called; that function returns once the requests in flight
// are answered and recorded, and may be called more than once.
func startHooks(ctx context.Context, a *app.App) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	d := a.Outhooks()
	go func() { defer close(done); d.Loop(ctx, HooksEvery) }()
	return func() {
		cancel()
		<-done
	}
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
