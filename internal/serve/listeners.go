package serve

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/emersion/go-smtp"

	"mailer/internal/app"
	"mailer/internal/esphooks"
	"mailer/internal/fault"
	"mailer/internal/mtaserver"
)

// listeners are the servers Run started, in the order lmtp, smtp, http.
type listeners struct {
	app     *app.App
	out     io.Writer
	errs    chan error
	addrs   [3]string
	mta     []*smtp.Server
	web     *http.Server
	pages   interface{ Wait() } // the form's queued work, finished before stopping
	stopped bool
}

func (ls *listeners) start(o Options) error {
	if o.HTTP != "" {
		if err := ls.startWeb(o.HTTP); err != nil {
			return err
		}
	}
	for i, spec := range []struct {
		addr string
		lmtp bool
	}{{o.LMTP, true}, {o.SMTP, false}} {
		if spec.addr == "" {
			continue
		}
		if err := ls.startMTA(i, spec.addr, spec.lmtp); err != nil {
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
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fault.Wrap(fault.Invalid, err, "listen on %s", addr)
	}
	// The timeouts: a slow or stalled client cannot hold a connection for ever.
	ls.web = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	ls.addrs[2] = ln.Addr().String()
	fmt.Fprintf(ls.out, "Serving the web pages on http://%s/ (public address %s)\n", ls.addrs[2], ls.app.Config.BaseURL)
	go func() { ls.errs <- ls.web.Serve(ln) }()
	return nil
}

func (ls *listeners) startMTA(i int, addr string, lmtp bool) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fault.Wrap(fault.Invalid, err, "listen on %s", addr)
	}
	cfg := ls.app.Config
	s := mtaserver.New(ls.app.Inbound, mtaserver.Options{LMTP: lmtp, Domain: string(cfg.ListHost),
		MaxMessageBytes: int64(cfg.Inbound.MaxMessageBytes), Logger: ls.app.Logger})
	ls.mta = append(ls.mta, s)
	ls.addrs[i] = ln.Addr().String()
	proto := map[bool]string{true: "LMTP", false: "SMTP"}[lmtp]
	fmt.Fprintf(ls.out, "Listening for %s on %s\n", proto, ls.addrs[i])
	go func() { ls.errs <- s.Serve(ln) }()
	return nil
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
	for _, s := range ls.mta {
		s.Shutdown(ctx)
	}
}
