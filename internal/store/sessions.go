package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"mailer/internal/fault"
)

// StoredSession is a console session as kept: under the SHA-256 of its
// id, never the id itself.
type StoredSession struct {
	CSRF        string
	Email       string
	CreatedAt   time.Time
	Expires     time.Time
	IdleExpires time.Time
}

// CreateSession keeps a new session under the hash of id; sessions past
// their expiry are dropped on the way.
func (db *DB) CreateSession(ctx context.Context, id string, s StoredSession) error {
	return db.inTx(ctx, "create a session", func(tx *txn) error {
		now := formatTime(db.Now())
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?1 OR idle_expires_at <= ?1`, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, csrf, email, created_at, expires_at, idle_expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			secretHash(id), s.CSRF, accountKey(s.Email), formatTime(s.CreatedAt), formatTime(s.Expires), formatTime(s.IdleExpires))
		return err
	})
}

// errNoSession is the one answer for an unknown session: it never says
// the id.
var errNoSession = fault.Errorf(fault.NotFound, "no such session")

// GetSession returns the session with id, expired or not; NotFound when
// there is none.
func (db *DB) GetSession(ctx context.Context, id string) (StoredSession, error) {
	var s StoredSession
	var created, expires, idle string
	err := db.sql.QueryRowContext(ctx, `SELECT csrf, email, created_at, expires_at, idle_expires_at FROM sessions WHERE id_hash = ?`,
		secretHash(id)).Scan(&s.CSRF, &s.Email, &created, &expires, &idle)
	if errors.Is(err, sql.ErrNoRows) {
		return s, errNoSession
	}
	s.CreatedAt, s.Expires, s.IdleExpires = parseTime(created), parseTime(expires), parseTime(idle)
	return s, db.wrap(err, "read a session")
}

// TouchSession moves a session's idle expiry.
func (db *DB) TouchSession(ctx context.Context, id string, idle time.Time) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE sessions SET idle_expires_at = ? WHERE id_hash = ?`, formatTime(idle), secretHash(id))
	return db.wrap(err, "renew a session")
}

// DeleteSession ends a session; an unknown one is no error (logging out
// twice is logged out).
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := db.sql.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, secretHash(id))
	return db.wrap(err, "end a session")
}
