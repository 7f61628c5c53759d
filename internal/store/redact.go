package store

import (
	"net/url"
	"strings"
)

// hidden is what a database URL's password shows as in messages.
const hidden = "(redacted)"

// pgSecretParams are the query parameters of a PostgreSQL URL that carry a
// secret (libpq's connection parameters, as pgx reads them).
var pgSecretParams = map[string]bool{"password": true, "sslpassword": true}

// redact hides the password of a database URL wherever libpq lets it be
// written: user:pass@ and ?password= (or ?sslpassword=). A URL that does
// not parse is hidden whole, since where its password ends is unknown.
// config.RedactURL does the same for the printed setting; the store keeps
// its own so that it depends on no settings package.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable URL, hidden)"
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if key, err := url.QueryUnescape(k); err != nil || pgSecretParams[strings.ToLower(key)] {
			parts[i] = k + "=" + hidden
		}
	}
	u.RawQuery = strings.Join(parts, "&")
	// Written by hand: url.UserPassword would percent-encode the marker.
	if _, set := u.User.Password(); set {
		name := url.User(u.User.Username()).String()
		u.User = nil
		scheme, rest, _ := strings.Cut(u.String(), "://")
		return scheme + "://" + name + ":" + hidden + "@" + rest
	}
	return u.String()
}

// secretsOf lists the passwords written in a database URL, raw and
// decoded, so that an error's text can be cleaned of them whatever the
// driver chose to quote.
func secretsOf(dsn string) []string {
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
			if key, err := url.QueryUnescape(k); err != nil || pgSecretParams[strings.ToLower(key)] {
				add(v)
			}
		}
	}
	return out
}

// scrubbed is a driver error whose text has the database's passwords
// removed. It still unwraps to the driver's error, so that the store can
// code it (pgFault) by its type.
type scrubbed struct {
	err     error
	secrets []string
}

func (s *scrubbed) Error() string {
	msg := s.err.Error()
	for _, pw := range s.secrets {
		msg = strings.ReplaceAll(msg, pw, hidden)
	}
	return msg
}

func (s *scrubbed) Unwrap() error { return s.err }

// scrub cleans err's text of the given passwords; nil stays nil.
func scrub(err error, secrets []string) error {
	if err == nil || len(secrets) == 0 {
		return err
	}
	return &scrubbed{err: err, secrets: secrets}
}
