package store

import (
	"context"
	"hash/fnv"
	"strings"
	"time"
)

// ClaimFor is how long a worker's claim on the rows it is sending lasts
// without renewal: the rows of a worker that died come back to the others
// this long after its last renewal.
const ClaimFor = 30 * time.Second

// InFlightNotRetried is the reply recorded for a delivery that was in
// flight when a run stopped and, under send.in_flight = "skip", is not sent
// again; views print it as "not retried", never as a failure.
const InFlightNotRetried = `in flight when a previous run stopped: not retried, may have been delivered (send.in_flight = "skip")`

// RecoverInFlight deals with deliveries left "sending" by a worker that
// died: whether they reached the server is unknown. With resend they go
// back in the queue (a reader may get a second copy, with the same
// Message-ID); otherwise they are marked failed and not sent again. Rows a
// live worker is sending are left alone: a row is recovered when its claim
// has lapsed, when it names no worker (claimed by an older mailer), or when
// gone (may be nil) says its worker is no longer running.
func (db *DB) RecoverInFlight(ctx context.Context, sendID int64, resend bool, gone func(owner string) bool) (int, error) {
	now := db.now()
	dead, err := db.goneClaimants(ctx, sendID, now, gone)
	if err != nil {
		return 0, err
	}
	set := `state = 'queued', last_reply = 'in flight when a previous run stopped; sending again'`
	args := []any{now, sendID, now}
	if !resend {
		// Failed is the only end state that keeps it from being sent again,
		// but nothing failed: the attempt was made and its outcome is
		// unknown (most such messages did reach the server). The reply
		// says so, and counts the attempt.
		set = `state = 'failed', attempts = attempts + 1, last_reply = ?`
		args = append([]any{InFlightNotRetried}, args...)
	}
	lapsed := `claim_owner = '' OR claim_until < ?`
	if len(dead) > 0 {
		lapsed += ` OR claim_owner IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(dead)), ", ") + `)`
		for _, d := range dead {
			args = append(args, d)
		}
	}
	res, err := db.sql.ExecContext(ctx, `UPDATE deliveries SET `+set+`, claim_owner = '', claim_until = '', updated_at = ?
		WHERE send_id = ? AND state = 'sending' AND (`+lapsed+`)`, args...)
	if err != nil {
		return 0, db.wrap(err, "recover deliveries in flight")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// goneClaimants are the workers with current claims on the send that gone
// says are no longer running.
func (db *DB) goneClaimants(ctx context.Context, sendID int64, now string, gone func(string) bool) ([]string, error) {
	if gone == nil {
		return nil, nil
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT DISTINCT claim_owner FROM deliveries
		WHERE send_id = ? AND state = 'sending' AND claim_owner <> '' AND claim_until >= ?`, sendID, now)
	if err != nil {
		return nil, db.wrap(err, "read claims")
	}
	defer rows.Close()
	var dead []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, db.wrap(err, "read claims")
		}
		if gone(o) {
			dead = append(dead, o)
		}
	}
	return dead, db.wrap(rows.Err(), "read claims")
}

// RenewClaims extends owner's claims on the rows of the send it is
// sending, so that the others do not take them back while it lives.
func (db *DB) RenewClaims(ctx context.Context, sendID int64, owner string) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE deliveries SET claim_until = ? WHERE send_id = ? AND state = 'sending' AND claim_owner = ?`,
		formatTime(db.Now().Add(ClaimFor)), sendID, owner)
	return db.wrap(err, "renew claims")
}

// OthersInFlight reports whether workers other than owner hold current
// claims on the send, and the earliest time one of them lapses.
func (db *DB) OthersInFlight(ctx context.Context, sendID int64, owner string) (time.Time, bool, error) {
	var until *string
	err := db.sql.QueryRowContext(ctx, `SELECT min(claim_until) FROM deliveries
		WHERE send_id = ? AND state = 'sending' AND claim_owner <> ?`, sendID, owner).Scan(&until)
	if err != nil || until == nil {
		return time.Time{}, false, db.wrap(err, "read claims")
	}
	return parseTime(*until), true, nil
}

// HoldWorker marks owner as running for as long as it holds the returned
// release: on PostgreSQL a session-level advisory lock on a connection of
// its own, so that the moment the database sees that session end (the
// process died, its machine went away) WorkerGone says so, on any host.
// On SQLite (one machine) it holds nothing: the process table tells.
func (db *DB) HoldWorker(ctx context.Context, owner string) (release func(), err error) {
	if db.dialect != postgresDialect {
		return func() {}, nil
	}
	c, err := db.sql.db.Conn(ctx)
	if err != nil {
		return nil, db.wrap(err, "hold worker lock")
	}
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, workerKey(owner)); err != nil {
		c.Close()
		return nil, db.wrap(err, "hold worker lock")
	}
	return func() {
		c.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, workerKey(owner))
		c.Close()
	}, nil
}

// WorkerGone reports that owner's session has ended (PostgreSQL): nobody
// holds its advisory lock any more. On SQLite it cannot tell and says no.
func (db *DB) WorkerGone(ctx context.Context, owner string) bool {
	if db.dialect != postgresDialect {
		return false
	}
	c, err := db.sql.db.Conn(ctx)
	if err != nil {
		return false
	}
	defer c.Close()
	var got bool
	if err := c.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, workerKey(owner)).Scan(&got); err != nil || !got {
		return false
	}
	c.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, workerKey(owner))
	return true
}

// workerKey is the advisory lock key of a worker: FNV-1a of its name.
func workerKey(owner string) int64 {
	h := fnv.New64a()
	h.Write([]byte("mailer worker " + owner))
	return int64(h.Sum64())
}
