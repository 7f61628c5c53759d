package store

import (
	"context"
	"database/sql"
	"time"
)

// The kinds of failed-login counts: by the address tried and by the
// client that tried it.
const (
	FailureAddress = "address"
	FailureClient  = "client"
)

// loginFailureKeep is how long a failure is kept at most; the throttle
// looks back an hour.
const loginFailureKeep = 24 * time.Hour

// RecordLoginFailure notes a failed login by email, and by client unless
// it is "", at the store's time; failures older than a day are dropped.
func (db *DB) RecordLoginFailure(ctx context.Context, email, client string) error {
	now := db.Now()
	return db.inTx(ctx, "record a failed login", func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at < ?`, formatTime(now.Add(-loginFailureKeep))); err != nil {
			return err
		}
		keys := [][2]string{{FailureAddress, accountKey(email)}}
		if client != "" {
			keys = append(keys, [2]string{FailureClient, client})
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (kind, key, at) VALUES (?, ?, ?)`, k[0], k[1], formatTime(now)); err != nil {
				return err
			}
		}
		return nil
	})
}

// LoginFailures counts the failures of one kind and key since a time and
// gives the latest (zero when none).
func (db *DB) LoginFailures(ctx context.Context, kind, key string, since time.Time) (int, time.Time, error) {
	if kind == FailureAddress {
		key = accountKey(key)
	}
	var n int
	var last sql.NullString
	err := db.sql.QueryRowContext(ctx, `SELECT count(*), max(at) FROM login_failures WHERE kind = ? AND key = ? AND at >= ?`,
		kind, key, formatTime(since)).Scan(&n, &last)
	var at time.Time
	if last.Valid {
		at = parseTime(last.String)
	}
	return n, at, db.wrap(err, "count failed logins")
}

// ClearLoginFailures forgets the failures of an address, after it logged
// in. Its clients' stay: they may have tried other addresses.
func (db *DB) ClearLoginFailures(ctx context.Context, email string) error {
	_, err := db.sql.ExecContext(ctx, `DELETE FROM login_failures WHERE kind = ? AND key = ?`, FailureAddress, accountKey(email))
	return db.wrap(err, "clear failed logins")
}
