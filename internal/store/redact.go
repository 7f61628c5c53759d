package store

import (
	"strings"

	"mailer/internal/dburl"
)

// hidden is what a database URL's password shows as in messages.
const hidden = dburl.Hidden

// redact hides the passwords of a database URL (package dburl); a URL that
// does not parse is hidden whole.
func redact(dsn string) string { return dburl.Redact(dsn) }

// secretsOf lists the passwords written in a database URL (package dburl).
func secretsOf(dsn string) []string { return dburl.Secrets(dsn) }

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
