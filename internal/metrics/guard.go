package metrics

import (
	"context"
	"net/http"
	"strings"

	"mailer/internal/auth"
	"mailer/internal/fault"
)

// Tokens proves a bearer token (auth.Service does).
type Tokens interface {
	Bearer(ctx context.Context, secret string) (auth.Principal, error)
}

// Guard lets a scrape through only with a token of every list
// (`mailer tokens create prometheus --scope read`): the series name every
// list and its counts, and the console's reverse proxy may put the admin
// listener, /metrics with it, on the Internet. Prometheus sends the token
// with `authorization: {credentials_file: ...}` (RFC 6750 §2.1).
func Guard(t Tokens, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			deny(w, http.StatusUnauthorized, "a bearer token is needed: mailer tokens create NAME --scope read")
			return
		}
		p, err := t.Bearer(r.Context(), strings.TrimSpace(secret))
		switch {
		case fault.CodeOf(err) == fault.Unauthenticated:
			deny(w, http.StatusUnauthorized, "the token is wrong or revoked")
		case err != nil:
			http.Error(w, "checking the token failed; try again", http.StatusServiceUnavailable)
		case !p.Admin:
			deny(w, http.StatusForbidden, "the metrics name every list: use a token made without --list")
		default:
			h.ServeHTTP(w, r)
		}
	})
}

func deny(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mailer metrics"`)
	}
	http.Error(w, msg, status)
}
