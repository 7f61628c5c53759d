// Package dburl hides the passwords of a PostgreSQL connection URL
// wherever libpq lets them be written (user:pass@, ?password=,
// ?sslpassword=), for the one place that prints the setting (config) and
// the one that words connection errors (store) alike. It imports nothing
// of mailer's, so both may use it.
package dburl

import (
	"net/url"
	"strings"
)

// Hidden is what a password shows as.
const Hidden = "(redacted)"

// secretParams are the query parameters of a PostgreSQL URL that carry a
// secret (libpq's connection parameters, as pgx reads them).
var secretParams = map[string]bool{"password": true, "sslpassword": true}

// IsPostgres says whether s is a postgres:// (or postgresql://) URL.
func IsPostgres(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact hides the passwords of a PostgreSQL URL. A URL that does not
// parse is hidden whole: where its password ends cannot be known.
// Anything that is not a PostgreSQL URL (a SQLite path) is returned as it is.
func Redact(s string) string {
	if !IsPostgres(s) {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return s[:strings.Index(s, "://")+3] + Hidden
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if key, err := url.QueryUnescape(k); err != nil || secretParams[strings.ToLower(key)] {
			parts[i] = k + "=" + Hidden
		}
	}
	u.RawQuery = strings.Join(parts, "&")
	// Written by hand: url.UserPassword would percent-encode the marker.
	if _, set := u.User.Password(); set {
		name := url.User(u.User.Username()).String()
		u.User = nil
		scheme, rest, _ := strings.Cut(u.String(), "://")
		return scheme + "://" + name + ":" + Hidden + "@" + rest
	}
	return u.String()
}

// Secrets lists the passwords written in a PostgreSQL URL, raw and
// decoded, so that an error's text can be cleaned of them whatever the
// driver chose to quote.
func Secrets(dsn string) []string {
	if !IsPostgres(dsn) {
		return nil
	}
	var out []string
	add := func(raw string) {
		if raw == "" {
			return
		}
		out = append(out, raw)
		if dec, err := url.QueryUnescape(raw); err == nil && dec != raw {
			out = append(out, dec)
		}
	}
	rest := dsn[strings.Index(dsn, "://")+3:]
	if at := strings.IndexAny(rest, "@/"); at >= 0 && rest[at] == '@' {
		if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
			add(pw)
		}
	}
	if _, query, ok := strings.Cut(dsn, "?"); ok {
		for _, p := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(p, "=")
			if key, err := url.QueryUnescape(k); err != nil || secretParams[strings.ToLower(key)] {
				add(v)
			}
		}
	}
	return out
}
