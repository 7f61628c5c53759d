package config

import "mailer/internal/dburl"

// RedactedDatabase is the database setting as it may be shown: a
// PostgreSQL URL with its password hidden, both as user:pass@ and as
// ?password= (or ?sslpassword=); a file path as it is.
func (c *Config) RedactedDatabase() string { return RedactURL(c.Database) }

// RedactURL hides the password of a postgres:// URL (package dburl).
func RedactURL(s string) string { return dburl.Redact(s) }
