// Package console is the owners' console on the admin listener: server-
// rendered pages over the same workflows the command line runs (optin's
// owners' changes, bounces' reactivation, importing, sending's views and
// controls), behind a login (package auth). No front-end build: the
// templates are in templates/console, one stylesheet and one small script
// are embedded and served from /static/ under names that carry their hash.
//
// Every page is a URL a bookmark can keep; a GET never changes anything;
// every POST carries the session's CSRF token and is refused (403) without
// it; a list its owner does not own answers 404, as if it did not exist.
package console

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"mailer/internal/auth"
	"mailer/internal/config"
	"mailer/internal/fault"
	"mailer/internal/optin"
	"mailer/internal/sending"
	"mailer/internal/store"
)

// Auth is what the console needs of the login service (auth.Service).
type Auth interface {
	Login(ctx context.Context, email, password, client string) (auth.Session, error)
	Session(ctx context.Context, id string) (auth.Session, error)
	Logout(ctx context.Context, id string) error
	CheckCSRF(s auth.Session, token string) error
	CookieFor(s auth.Session, secure bool) *http.Cookie
	ClearCookie(secure bool) *http.Cookie
}

// Owners is an owner's membership changes under the consent rules
// (optin.Owners), the workflow of `subscribers add` and `rm`.
type Owners interface {
	Add(ctx context.Context, l *store.List, addrs []string, name string, force bool, ev store.Evidence) ([]optin.OwnerChange, error)
	Remove(ctx context.Context, l *store.List, addrs []string, ev store.Evidence) ([]optin.OwnerChange, error)
}

// Options configure the console.
type Options struct {
	Config *config.Config // issues_dir, base_url (https: Secure cookies), the breaker's policy
	DB     *store.DB      // the sends' views and controls and the import take the store itself
	Auth   Auth
	Owners Owners
	// RetryAfter is how long a throttled login must wait (auth.RetryAfter).
	RetryAfter func(error) time.Duration
	// Transport opens the relay for a scheduled send's plan (app.SendTransport).
	Transport sending.Transports
	// Hooks pings a webhook for its test button (app.App.Outhooks); nil:
	// the hooks page has no test button.
	Hooks          Pinger
	Templates      fs.FS // holds console/*.html, console.css, console.js
	TrustedProxies []netip.Prefix
	Now            func() time.Time
	Logger         *slog.Logger
	// Tick is how often a send's event stream reports progress; 1s when 0.
	Tick time.Duration
}

// Server is the console.
type Server struct {
	o      Options
	db     *store.DB
	pages  pages
	static statics
	secure bool
}

// New parses the templates.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	if o.Auth == nil || o.DB == nil || o.Owners == nil || o.Config == nil {
		return nil, fault.Errorf(fault.Internal, "console: Auth, DB, Owners and Config are needed")
	}
	s := &Server{o: o, db: o.DB, secure: strings.HasPrefix(string(o.Config.BaseURL), "https://")}
	var err error
	if s.static, err = loadStatics(o.Templates); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(o.Templates, s.static); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the console's routes behind its security headers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/{name}", s.serveStatic)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.Handle("POST /logout", s.post(s.logout))
	mux.Handle("GET /{$}", s.get(s.listsPage))
	mux.Handle("GET /lists/{list}", s.get(s.listPage))
	mux.Handle("GET /lists/{list}/members", s.get(s.membersPage))
	mux.Handle("POST /lists/{list}/members", s.post(s.addMember))
	mux.Handle("GET /lists/{list}/members/{address}", s.get(s.memberPage))
	mux.Handle("POST /lists/{list}/members/{address}/remove", s.post(s.removeMember))
	mux.Handle("POST /lists/{list}/members/{address}/reactivate", s.post(s.reactivateMember))
	mux.Handle("GET /lists/{list}/import", s.get(s.importPage))
	mux.Handle("POST /lists/{list}/import", s.post(s.importFile))
	mux.Handle("GET /sends", s.get(s.sendsPage))
	mux.Handle("GET /sends/{id}", s.get(s.sendPage))
	mux.Handle("GET /sends/{id}/events", s.get(s.sendEvents))
	mux.Handle("POST /sends/{id}/{action}", s.post(s.sendAction))
	mux.Handle("POST /schedules/{id}/cancel", s.post(s.cancelSchedule))
	mux.Handle("GET /schedule", s.get(s.schedulePage))
	mux.Handle("POST /schedule", s.post(s.schedule))
	mux.Handle("GET /schedule/preview/{issue}", s.get(s.previewHTML))
	mux.Handle("GET /hooks", s.get(s.hooksPage))
	mux.Handle("POST /hooks/{id}/test", s.post(s.testHook))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.message(w, r, http.StatusNotFound, "Not found", nil) })
	return securityHeaders(s.recoverPanics(mux))
}

// policy is the pages' Content-Security-Policy: nothing but the console's
// own script, stylesheet and images; no inline script or style at all.
// connect-src 'self' lets the send page's script open its event stream
// (EventSource is fetched under connect-src, CSP Level 3 §6.1.2, which
// default-src 'none' would otherwise close).
const policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", policy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a bug into a 500 page, counted (fault.Recovered).
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				fault.Recovered(v)
				s.o.Logger.Error("panic serving console page", "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
