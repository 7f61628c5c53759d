// Package web serves mailer's pages: one-click unsubscribe (RFC 8058),
// confirmation, the subscribe form and the public archive. A GET never
// changes anything (mail scanners fetch links); every change is a POST.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/httperr"
	"mailer/internal/listaddr"
	"mailer/internal/optin"
	"mailer/internal/store"
	"mailer/templates"
)

// Store is what the pages need of the subscription store.
type Store interface {
	GetList(ctx context.Context, name string) (*store.List, error)
	Lists(ctx context.Context) ([]*store.List, error)
	PeekConfirmation(ctx context.Context, token string) (*store.Confirmation, error)
	Archive(ctx context.Context, l *store.List) ([]store.ArchivedIssue, error)
	ArchiveIssue(ctx context.Context, l *store.List, slug string) (*store.ArchivedIssue, error)
	GetAsset(ctx context.Context, l *store.List, slug, path string) (*store.Asset, error)
	Ping(ctx context.Context) error
}

// Subscriptions is the opt-in workflow (package optin), as mail commands
// use it: joining, confirming, and the unsubscribe links' tokens.
type Subscriptions interface {
	Admit(ctx context.Context, l *store.List, a address.Address, req optin.Request) (optin.Outcome, error)
	Subscribe(ctx context.Context, l *store.List, a address.Address, req optin.Request) (optin.Outcome, error)
	Confirm(ctx context.Context, code string, ev store.Evidence) (optin.Confirmed, error)
	Resubscribe(ctx context.Context, l *store.List, m *store.Member, req optin.Request) (optin.Outcome, error)
	Holder(ctx context.Context, k optin.Link) (*store.List, *store.Member, error)
	Leave(ctx context.Context, k optin.Link, ev store.Evidence) (optin.Left, error)
	Preferences(ctx context.Context, k optin.Link) (optin.Preferences, error)
	LeaveLists(ctx context.Context, k optin.Link, lists []string, all bool, ev store.Evidence) ([]string, error)
}

// Options configure the pages.
type Options struct {
	Book           listaddr.Book // the public URLs
	Contact        string
	Looks          templates.Looks // the global and each list's templates
	TrustedProxies []netip.Prefix
	// SubscribePerMinute is how many subscribe requests one IP address may
	// send a minute.
	SubscribePerMinute int
	Logger             *slog.Logger
}

// Server holds the pages' dependencies.
type Server struct {
	store  Store
	subs   Subscriptions
	o      Options
	looks  *templates.Sets[*look]
	limits *ipLimiter
	queue  *handoff // the subscribe form's work, after its answer
	secure bool     // cookies only over https
}

// New parses the templates.
func New(s Store, subs Subscriptions, o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SubscribePerMinute <= 0 {
		o.SubscribePerMinute = 5
	}
	srv := &Server{store: s, subs: subs, o: o,
		limits: newIPLimiter(o.SubscribePerMinute), queue: newHandoff(), secure: strings.HasPrefix(o.Book.BaseURL, "https://")}
	var err error
	if srv.looks, err = templates.NewSets(o.Looks, parseLook); err != nil {
		return nil, err
	}
	return srv, nil
}

// Handler returns the routes, wrapped in the security headers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	const u, confirm, subscribe, archive = listaddr.UnsubscribePath, listaddr.ConfirmPath, listaddr.SubscribePath, listaddr.ArchivePath
	mux.HandleFunc("GET "+u+"{token}", s.unsubscribePage)
	mux.HandleFunc("POST "+u+"{token}", s.unsubscribe)
	mux.HandleFunc("POST "+u+"{token}/resubscribe", s.resubscribe)
	mux.HandleFunc("GET "+u+"{token}/preferences", s.preferencesPage)
	mux.HandleFunc("POST "+u+"{token}/preferences", s.leaveLists)
	// The catch-all GET below would answer 404 here; this path is POST only.
	mux.HandleFunc("GET "+u+"{token}/resubscribe", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	})
	mux.HandleFunc("GET "+confirm+"{code}", s.confirmPage)
	mux.HandleFunc("POST "+confirm+"{code}", s.confirm)
	mux.HandleFunc("GET "+subscribe+"{list}", s.subscribePage)
	mux.HandleFunc("POST "+subscribe+"{list}", s.subscribe)
	mux.HandleFunc("GET "+archive+"{$}", s.archiveIndex)
	mux.HandleFunc("GET "+archive+"{list}/{$}", s.archiveList)
	mux.HandleFunc("GET "+archive+"{list}/feed.atom", s.feed)
	mux.HandleFunc("GET "+archive+"{list}/{slug}", s.archiveIssue)
	mux.HandleFunc("GET "+archive+"{list}/{slug}/{path...}", s.archiveAsset)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /static/site.css", s.stylesheet)
	mux.HandleFunc("GET /static/{list}/site.css", s.stylesheet)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, archive, http.StatusFound) })
	notFound := func(w http.ResponseWriter, r *http.Request) {
		s.message(w, http.StatusNotFound, "not-found", pageData{})
	}
	// GET only: a path that exists with another method then answers 405.
	mux.HandleFunc("GET /", notFound)
	// The owners' console, API and metrics are served on admin.listen only
	// (internal/admin): here their paths are unknown, whatever the method.
	for _, p := range adminOnly {
		for _, m := range []string{"GET ", "POST ", "PUT ", "PATCH ", "DELETE "} {
			mux.HandleFunc(m+p, notFound)
		}
	}
	return securityHeaders(recoverPanics(s.o.Logger, mux))
}

// adminOnly are the paths of the owners' listener.
var adminOnly = []string{"/api/", "/metrics", "/login", "/logout", "/lists", "/lists/", "/sends", "/sends/"}

// securityHeaders: pages load nothing from other hosts (issue images
// excepted), cannot be framed, and never leak the token in their URL
// through a Referer.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a bug into a 500 page instead of a dropped connection.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				fault.Recovered(v)
				log.Error("panic serving page", "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// pageData feeds the page templates.
type pageData struct {
	PageTitle, List, ListTitle, Description, Contact string
	Address, Token, Action, Error, Time, CSRF        string
	Groups                                           []archiveGroup
	Standing                                         []standing // the preference page's lists
	AnyMailed                                        bool
	Left                                             []string // the titles of the lists just left
	look                                             string   // the list's own template directory
}

func (s *Server) render(w http.ResponseWriter, status int, page string, d pageData) {
	if d.PageTitle == "" {
		d.PageTitle = d.ListTitle
		if d.PageTitle == "" {
			d.PageTitle = "Newsletters"
		}
	}
	d.Contact = s.o.Contact
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.look(d.look).pages[page].ExecuteTemplate(w, "layout", d); err != nil {
		s.o.Logger.Error("render page", "page", page, "err", err)
	}
}

func (s *Server) message(w http.ResponseWriter, status int, kind string, d pageData) {
	s.render(w, status, "msg-"+kind, d)
}

// fail shows the page for an error: 4xx for what the visitor got wrong,
// 503 (with Retry-After) for what will pass, 500 for a bug; the status
// comes from the one table of every HTTP edge (package httperr). Only
// what is ours to fix is logged.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := httperr.Status(err)
	if status >= 500 {
		s.o.Logger.Error("page failed", "path", r.URL.Path, "err", err)
	}
	if ra := httperr.RetryAfter(status); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	s.message(w, status, failPages[status], pageData{})
}

// failPages names the message page for each status fail can answer.
var failPages = map[int]string{
	http.StatusBadRequest:          "invalid",
	http.StatusNotFound:            "not-found",
	http.StatusConflict:            "conflict",
	http.StatusServiceUnavailable:  "unavailable",
	http.StatusInternalServerError: "internal",
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.store.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unavailable\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

// stylesheet serves the global site.css, or a list's at /static/LIST/site.css.
func (s *Server) stylesheet(w http.ResponseWriter, r *http.Request) {
	dir := ""
	if name := r.PathValue("list"); name != "" {
		l, err := s.store.GetList(r.Context(), name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		dir = l.TemplatesDir
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(s.look(dir).css)
}

// withList puts d on a page about list l, in its look.
func withList(l *store.List, d pageData) pageData {
	d.List, d.ListTitle, d.look = l.Name, l.Title, l.TemplatesDir
	return d
}
