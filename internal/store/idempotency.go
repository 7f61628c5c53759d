package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Idempotent is a creating request's answer kept under its key.
type Idempotent struct {
	Caller, Key, Method, Path, RequestHash string
	Status                                 int // 0: the first request is still running
	Body                                   []byte
}

// IdempotencyTTL is how long an answer is kept for retries.
const IdempotencyTTL = 24 * time.Hour

// ClaimIdempotency takes the key for a request, or returns the request
// that took it first (claimed false): its answer, or Status 0 while it
// runs. A key older than IdempotencyTTL is forgotten first.
func (db *DB) ClaimIdempotency(ctx context.Context, r Idempotent) (first Idempotent, claimed bool, err error) {
	err = db.inTx(ctx, "claim the idempotency key", func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE caller = ? AND key = ? AND created_at < ?`,
			r.Caller, r.Key, formatTime(db.Now().Add(-IdempotencyTTL))); err != nil {
			return err
		}
		first = Idempotent{Caller: r.Caller, Key: r.Key}
		err := tx.QueryRowContext(ctx, `SELECT method, path, request_hash, status, body FROM idempotency_keys WHERE caller = ? AND key = ?`,
			r.Caller, r.Key).Scan(&first.Method, &first.Path, &first.RequestHash, &first.Status, &first.Body)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		claimed = true
		_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (caller, key, method, path, request_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			r.Caller, r.Key, r.Method, r.Path, r.RequestHash, db.now())
		return err
	})
	return first, claimed, db.wrap(err, "claim the idempotency key")
}

// FinishIdempotency keeps the answer of the request that claimed the key.
func (db *DB) FinishIdempotency(ctx context.Context, caller, key string, status int, body []byte) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE idempotency_keys SET status = ?, body = ? WHERE caller = ? AND key = ?`, status, body, caller, key)
	return db.wrap(err, "keep the answer for the idempotency key")
}

// ReleaseIdempotency forgets a claimed key whose request failed before
// answering, so that a retry runs it again.
func (db *DB) ReleaseIdempotency(ctx context.Context, caller, key string) error {
	_, err := db.sql.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE caller = ? AND key = ? AND status = 0`, caller, key)
	return db.wrap(err, "release the idempotency key")
}
