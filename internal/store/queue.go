package store

import (
	"context"
	"database/sql"
	"time"

	"mailer/internal/delivery"
)

// SendQueue is the delivery queue of one send, as delivery.Queue.
type SendQueue struct {
	db     *DB
	sendID int64
}

// Queue returns the queue of a send.
func (db *DB) Queue(sendID int64) *SendQueue { return &SendQueue{db: db, sendID: sendID} }

var _ delivery.Queue = (*SendQueue)(nil)

// Exchange records results and claims up to want due jobs, deferred ones
// first, in one transaction.
func (q *SendQueue) Exchange(ctx context.Context, results []delivery.Result, want int, now time.Time) ([]delivery.Job, error) {
	if len(results) == 0 && want == 0 {
		return nil, nil
	}
	var jobs []delivery.Job
	err := q.db.inTx(ctx, "record deliveries", func(tx *sql.Tx) error {
		jobs = jobs[:0]
		if err := q.record(ctx, tx, results); err != nil {
			return err
		}
		nowText := formatTime(now)
		for _, claim := range []string{claimDeferred, claimQueued} {
			if len(jobs) >= want {
				break
			}
			rows, err := tx.QueryContext(ctx, claim, nowText, q.sendID, want-len(jobs))
			if err != nil {
				return err
			}
			for rows.Next() {
				var j delivery.Job
				var queued string
				if err := rows.Scan(&j.ID, &j.SubscriberID, &j.Address, &j.Name, &j.MessageID, &j.Attempts, &queued); err != nil {
					rows.Close()
					return err
				}
				j.QueuedAt = parseTime(queued)
				jobs = append(jobs, j)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	return jobs, err
}

const claimDeferred = `UPDATE deliveries SET state = 'sending', updated_at = ?1 WHERE id IN (
	SELECT id FROM deliveries WHERE send_id = ?2 AND state = 'deferred' AND next_attempt_at <= ?1 ORDER BY next_attempt_at LIMIT ?3)
	RETURNING id, subscriber_id, address, name, message_id, attempts, created_at`

const claimQueued = `UPDATE deliveries SET state = 'sending', updated_at = ?1 WHERE id IN (
	SELECT id FROM deliveries WHERE send_id = ?2 AND state = 'queued' ORDER BY id LIMIT ?3)
	RETURNING id, subscriber_id, address, name, message_id, attempts, created_at`

func (q *SendQueue) record(ctx context.Context, tx *sql.Tx, results []delivery.Result) error {
	if len(results) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `UPDATE deliveries SET state = ?1, last_reply = ?2, permanent = ?3, updated_at = ?4,
		attempts = attempts + CASE WHEN ?1 = 'queued' THEN 0 ELSE 1 END,
		next_attempt_at = CASE WHEN ?1 = 'deferred' THEN ?5 ELSE NULL END,
		sent_at = CASE WHEN ?1 = 'sent' THEN ?4 ELSE sent_at END
		WHERE id = ?6 AND send_id = ?7`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range results {
		var next any
		if r.Outcome == delivery.Deferred {
			next = formatTime(r.NextAttempt)
		}
		if _, err := stmt.ExecContext(ctx, string(r.Outcome), r.Reply, r.Permanent, formatTime(r.At), next, r.JobID, q.sendID); err != nil {
			return err
		}
	}
	return nil
}

// NextDue reports when the earliest deferred job is due, and whether any
// job is queued or deferred.
func (q *SendQueue) NextDue(ctx context.Context) (time.Time, bool, error) {
	var queued int
	var next sql.NullString
	err := q.db.sql.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM deliveries WHERE send_id = ?1 AND state = 'queued'),
		(SELECT min(next_attempt_at) FROM deliveries WHERE send_id = ?1 AND state = 'deferred')`, q.sendID).Scan(&queued, &next)
	if err != nil {
		return time.Time{}, false, q.db.wrap(err, "read queue")
	}
	if queued == 1 {
		return q.db.Now(), true, nil
	}
	if next.Valid {
		return parseTime(next.String), true, nil
	}
	return time.Time{}, false, nil
}

// Counts returns the queue's rows by state.
func (q *SendQueue) Counts(ctx context.Context) (delivery.Counts, error) {
	var c delivery.Counts
	rows, err := q.db.sql.QueryContext(ctx, `SELECT state, count(*) FROM deliveries WHERE send_id = ? GROUP BY state`, q.sendID)
	if err != nil {
		return c, q.db.wrap(err, "count deliveries")
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return c, q.db.wrap(err, "count deliveries")
		}
		switch state {
		case "queued":
			c.Queued = n
		case "sending":
			c.Sending = n
		case "sent":
			c.Sent = n
		case "deferred":
			c.Deferred = n
		case "failed":
			c.Failed = n
		}
	}
	return c, q.db.wrap(rows.Err(), "count deliveries")
}
