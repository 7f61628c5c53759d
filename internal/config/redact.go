package config

import (
	"net/url"
	"strings"
)

// urlSecrets are the query parameters of a PostgreSQL URL that carry a
// secret (libpq's connection parameters, as pgx reads them).
var urlSecrets = map[string]bool{"password": true, "sslpassword": true}

// RedactedDatabase is the database setting as it may be shown: a
// PostgreSQL URL with its password hidden, both as user:pass@ and as
// ?password= (or ?sslpassword=); a file path as it is.
func (c *Config) RedactedDatabase() string { return RedactURL(c.Database) }

// RedactURL hides the password of a postgres:// URL wherever libpq lets it
// be written. A URL that does not parse is hidden whole: where its password
// ends cannot be known. Anything else is returned as it is.
func RedactURL(s string) string {
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return s[:strings.Index(s, "://")+3] + Redacted
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if key, err := url.QueryUnescape(k); err != nil || urlSecrets[strings.ToLower(key)] {
			parts[i] = k + "=" + Redacted
		}
	}
	u.RawQuery = strings.Join(parts, "&")
	// Written by hand: url.UserPassword would percent-encode the marker.
	if _, set := u.User.Password(); set {
		name := url.User(u.User.Username()).String()
		u.User = nil
		scheme, rest, _ := strings.Cut(u.String(), "://")
		return scheme + "://" + name + ":" + Redacted + "@" + rest
	}
	return u.String()
}
