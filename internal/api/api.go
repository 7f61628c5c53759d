// Package api is the owners' HTTP API, /api/v1 on the admin listener: JSON
// over the same workflows the command line runs (optin for memberships,
// importing for files, sending for sends), lists named in the URL and
// members by address, with the JSON field names of the CLI's --json output.
// Every route is a row of one table (route.go) that also generates the
// OpenAPI document (openapi.go), so no route exists without its
// documentation. Callers prove who they are with a bearer token (RFC 6750);
// what they may do is the auth.Principal's answer.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"mailer/internal/auth"
	"mailer/internal/config"
	"mailer/internal/fault"
	"mailer/internal/sending"
	"mailer/internal/store"
)

// Authenticator proves a bearer secret (auth.Service does): the principal
// it stands for, or fault.Unauthenticated for a missing, wrong or revoked
// one.
type Authenticator interface {
	Bearer(ctx context.Context, secret string) (auth.Principal, error)
}

// Options are the API's parts, handed over by internal/app.
type Options struct {
	Auth   Authenticator
	DB     *store.DB
	Config *config.Config // the issues directory and the send limits
	// Transports is the relay a planned send goes by (app.SendTransport);
	// a send scheduled here is delivered later by serve's daemon.
	Transports sending.Transports
	Logger     *slog.Logger     // nil: discard
	Now        func() time.Time // nil: time.Now
	// MaxBody caps a JSON body (default 1 MiB), MaxUpload a member file
	// (default 64 MiB); more is refused with 413.
	MaxBody, MaxUpload int64
}

// Handler serves /api/v1.
type Handler struct {
	o      Options
	routes []*route
	mux    *http.ServeMux // METHOD /path → the route
	paths  *http.ServeMux // /path → the methods it has, for 405
	doc    []byte         // the OpenAPI document, built once
}

// New builds the handler and its OpenAPI document.
func New(o Options) (*Handler, error) {
	if o.Auth == nil || o.DB == nil || o.Config == nil || o.Transports == nil {
		return nil, fault.Errorf(fault.Internal, "api: Auth, DB, Config and Transports are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	if o.MaxUpload <= 0 {
		o.MaxUpload = 64 << 20
	}
	h := &Handler{o: o, mux: http.NewServeMux(), paths: http.NewServeMux()}
	h.routes = h.table()
	methods := map[string][]string{}
	for _, rt := range h.routes {
		h.mux.Handle(rt.method+" "+rt.pattern, h.serve(rt))
		if methods[rt.pattern] == nil {
			h.paths.Handle(rt.pattern, http.NotFoundHandler())
		}
		methods[rt.pattern] = append(methods[rt.pattern], rt.method)
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { h.unrouted(w, r, methods) })
	doc, err := h.document()
	if err != nil {
		return nil, err
	}
	h.doc = doc
	return h, nil
}

// Routes are the API's routes as METHOD PATTERN, in the table's order.
func (h *Handler) Routes() []string {
	out := make([]string, 0, len(h.routes))
	for _, rt := range h.routes {
		out = append(out, rt.method+" "+rt.pattern)
	}
	return out
}

// Changing are the routes a read-only token is refused (METHOD PATTERN).
func (h *Handler) Changing() []string {
	var out []string
	for _, rt := range h.routes {
		if rt.scope == scopeWrite {
			out = append(out, rt.method+" "+rt.pattern)
		}
	}
	return out
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// unrouted answers what no route took: 405 with Allow (RFC 9110 §15.5.6)
// when the path has routes for other methods, else 404; both as JSON.
func (h *Handler) unrouted(w http.ResponseWriter, r *http.Request, methods map[string][]string) {
	if _, pattern := h.paths.Handler(r); pattern != "" {
		allow := methods[pattern]
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, http.StatusMethodNotAllowed, codeMethod, r.Method+" is not allowed here (allowed: "+strings.Join(allow, ", ")+")")
		return
	}
	writeProblem(w, http.StatusNotFound, string(fault.NotFound), "no such API path: "+r.URL.Path+" (GET /api/v1/openapi.json lists them)")
}
