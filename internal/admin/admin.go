// Package admin is the owners' listener of `mailer serve` (admin.listen):
// it puts the console, the HTTP API (/api/v1) and the metrics (/metrics)
// behind one handler, apart from the readers' pages, so that what only
// owners and their programs may reach is never served on the public
// address, and a reverse proxy or firewall can tell the two apart by port.
package admin

import "net/http"

// Parts are the admin listener's handlers; a nil part answers 404.
type Parts struct {
	Console http.Handler // the pages: "/", /lists, /sends, /login, /logout
	API     http.Handler // /api/v1/
	Metrics http.Handler // /metrics
}

// Handler serves the parts, each under its own paths, with the headers
// every admin answer carries: never cached by a proxy, never framed, no
// content-type sniffing.
func Handler(p Parts) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mount(mux, "/api/", p.API)
	mount(mux, "/metrics", p.Metrics)
	mount(mux, "/", p.Console)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		mux.ServeHTTP(w, r)
	})
}

func mount(mux *http.ServeMux, pattern string, h http.Handler) {
	if h == nil {
		h = http.NotFoundHandler()
	}
	mux.Handle(pattern, h)
}
