package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"mailer/internal/delivery"
)

// SendQueue is the delivery queue of one send, as delivery.Queue. One
// goroutine uses it at a time (the sender's ledger): it keeps a read-ahead
// of queued rows and a count of deferred ones, so that a claim costs one
// UPDATE by primary key instead of a search.
type SendQueue struct {
	db     *DB
	sendID int64
	listID int64 // 0 until read

	ahead    []delivery.Job // queued rows read ahead, in id order
	cursor   int64          // highest id read ahead
	deferred int            // deferred rows; -1 until counted

	paused   bool      // the send is paused: claim nothing
	pausedAt time.Time // when paused was last read
}

// pausedEvery is how often a running send looks whether it was paused:
// often enough for a person, rarely enough to cost nothing per message.
const pausedEvery = time.Second

// readAhead is how many queued rows one read brings in.
const readAhead = 512

// Queue returns the queue of a send.
func (db *DB) Queue(sendID int64) *SendQueue { return &SendQueue{db: db, sendID: sendID, deferred: -1} }

var _ delivery.Queue = (*SendQueue)(nil)

// Exchange records results and claims up to want due jobs, deferred ones
// first, in one transaction. A claimed job is "sending" before anyone
// sends it, so that a crash leaves the messages in flight identifiable.
func (q *SendQueue) Exchange(ctx context.Context, results []delivery.Result, want int, now time.Time) ([]delivery.Job, error) {
	if len(results) == 0 && want == 0 {
		return nil, nil
	}
	if q.listID == 0 {
		if err := q.db.sql.QueryRowContext(ctx, `SELECT list_id FROM sends WHERE id = ?`, q.sendID).Scan(&q.listID); err != nil {
			return nil, q.db.wrap(err, "read send")
		}
	}
	if q.deferred < 0 {
		c, err := q.Counts(ctx)
		if err != nil {
			return nil, err
		}
		q.deferred = c.Deferred
	}
	if want > 0 && time.Since(q.pausedAt) >= pausedEvery {
		p, err := q.db.Paused(ctx, q.sendID)
		if err != nil {
			return nil, err
		}
		q.paused, q.pausedAt = p, time.Now()
	}
	if q.paused {
		want = 0
		if len(results) == 0 {
			return nil, nil
		}
	}
	var jobs []delivery.Job
	deferred, ahead, cursor := q.deferred, q.ahead, q.cursor
	err := q.db.inTx(ctx, "record deliveries", func(tx *txn) error {
		jobs = jobs[:0]
		for _, r := range results {
			switch r.Outcome {
			case delivery.Deferred:
				deferred++
			case delivery.Requeue:
				// Back in line: read the queue again from its start.
				ahead, cursor = nil, 0
			}
		}
		if err := q.record(ctx, tx, results); err != nil {
			return err
		}
		if deferred > 0 && want > 0 {
			skipped, err := q.skipDeferred(ctx, tx, now)
			if err != nil {
				return err
			}
			n, err := q.claim(ctx, tx, claimDeferred, &jobs, formatTime(now), q.sendID, want, q.listID)
			if err != nil {
				return err
			}
			deferred -= n + skipped
		}
		claim, err := q.db.prepared(ctx, tx, claimByID)
		if err != nil {
			return err
		}
		for len(jobs) < want {
			if len(ahead) == 0 {
				if err := q.readQueued(ctx, tx, &ahead, &cursor); err != nil || len(ahead) == 0 {
					return err
				}
			}
			j := ahead[0]
			ahead = ahead[1:]
			res, err := claim.ExecContext(ctx, formatTime(now), j.ID, q.listID)
			if err != nil {
				return err
			}
			// A row no longer queued (another process, or an operator)
			// is not ours to send; one whose reader left is skipped.
			if n, _ := res.RowsAffected(); n == 1 {
				jobs = append(jobs, j)
			} else if err := q.skip(ctx, tx, j.ID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The transaction rolled back: forget what it read or counted.
		q.ahead, q.cursor, q.deferred = nil, 0, -1
		return nil, err
	}
	q.deferred, q.ahead, q.cursor = max(deferred, 0), ahead, cursor
	return jobs, nil
}

const jobColumns = `id, subscriber_id, address, name, message_id, attempts, created_at`

// stillMember is the hand-over check, part of every claim: nobody who is
// not an active member at that moment gets the message, whether it is a
// first attempt, a retry or a resumed send.
const stillMember = `EXISTS (SELECT 1 FROM memberships m WHERE m.list_id = ?%d
	AND m.subscriber_id = deliveries.subscriber_id AND m.status = 'active')`

// claimDeferred takes deferred rows that are due and whose reader is still
// a member.
var claimDeferred = `UPDATE deliveries SET state = 'sending', updated_at = ?1 WHERE id IN (
	SELECT id FROM deliveries WHERE send_id = ?2 AND state = 'deferred' AND next_attempt_at <= ?1
	AND ` + fmt.Sprintf(stillMember, 4) + ` ORDER BY next_attempt_at LIMIT ?3)
	RETURNING ` + jobColumns

// skipReason says why a row was skipped: its reader's membership now.
const skipReason = `'skipped: ' || coalesce((SELECT m.status FROM memberships m WHERE m.list_id = ?%d
	AND m.subscriber_id = deliveries.subscriber_id), 'removed') || ' when its turn came'`

// skipDeferredDue marks skipped the due deferred rows of readers who left.
var skipDeferredDue = `UPDATE deliveries SET state = 'skipped', next_attempt_at = NULL, updated_at = ?1,
	last_reply = ` + fmt.Sprintf(skipReason, 3) + `
	WHERE send_id = ?2 AND state = 'deferred' AND next_attempt_at <= ?1 AND NOT ` + fmt.Sprintf(stillMember, 3)

var skipByID = `UPDATE deliveries SET state = 'skipped', updated_at = ?1, last_reply = ` + fmt.Sprintf(skipReason, 3) + `
	WHERE id = ?2 AND state = 'queued'`

func (q *SendQueue) skipDeferred(ctx context.Context, tx *txn, now time.Time) (int, error) {
	stmt, err := q.db.prepared(ctx, tx, skipDeferredDue)
	if err != nil {
		return 0, err
	}
	res, err := stmt.ExecContext(ctx, formatTime(now), q.sendID, q.listID)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (q *SendQueue) skip(ctx context.Context, tx *txn, id int64, now time.Time) error {
	stmt, err := q.db.prepared(ctx, tx, skipByID)
	if err != nil {
		return err
	}
	_, err = stmt.ExecContext(ctx, formatTime(now), id, q.listID)
	return err
}

// readQueued reads queued rows after the cursor, walking the partial index
// deliveries_queued in id order.
const readQueued = `SELECT ` + jobColumns + ` FROM deliveries
	WHERE send_id = ? AND state = 'queued' AND id > ? ORDER BY id LIMIT ?`

var claimByID = `UPDATE deliveries SET state = 'sending', updated_at = ?1 WHERE id = ?2 AND state = 'queued' AND ` + fmt.Sprintf(stillMember, 3)

func (q *SendQueue) readQueued(ctx context.Context, tx *txn, ahead *[]delivery.Job, cursor *int64) error {
	var jobs []delivery.Job
	if _, err := q.claim(ctx, tx, readQueued, &jobs, q.sendID, *cursor, readAhead); err != nil {
		return err
	}
	*ahead = jobs
	if len(jobs) > 0 {
		*cursor = jobs[len(jobs)-1].ID
	}
	return nil
}

// claim runs a query that returns job rows and appends them to jobs.
func (q *SendQueue) claim(ctx context.Context, tx *txn, query string, jobs *[]delivery.Job, args ...any) (int, error) {
	stmt, err := q.db.prepared(ctx, tx, query)
	if err != nil {
		return 0, err
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var j delivery.Job
		var queued string
		if err := rows.Scan(&j.ID, &j.SubscriberID, &j.Address, &j.Name, &j.MessageID, &j.Attempts, &queued); err != nil {
			return n, err
		}
		j.QueuedAt = parseTime(queued)
		*jobs = append(*jobs, j)
		n++
	}
	return n, rows.Err()
}

func (q *SendQueue) record(ctx context.Context, tx *txn, results []delivery.Result) error {
	if len(results) == 0 {
		return nil
	}
	stmt, err := q.db.prepared(ctx, tx, recordResult)
	if err != nil {
		return err
	}
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

const recordResult = `UPDATE deliveries SET state = ?1, last_reply = ?2, permanent = ?3, updated_at = ?4,
		attempts = attempts + CASE WHEN ?1 = 'queued' THEN 0 ELSE 1 END,
		next_attempt_at = CASE WHEN ?1 = 'deferred' THEN ?5 ELSE NULL END,
		sent_at = CASE WHEN ?1 = 'sent' THEN ?4 ELSE sent_at END
		WHERE id = ?6 AND send_id = ?7`

// NextDue reports when the earliest deferred job is due, and whether any
// job is queued or deferred.
func (q *SendQueue) NextDue(ctx context.Context) (time.Time, bool, error) {
	if p, err := q.db.Paused(ctx, q.sendID); err != nil || p {
		// A paused send has nothing due: its run ends, and so does waiting.
		q.paused, q.pausedAt = p, time.Now()
		return time.Time{}, false, err
	}
	var queued int
	var next sql.NullString
	err := q.db.sql.QueryRowContext(ctx, `SELECT
		CASE WHEN EXISTS (SELECT 1 FROM deliveries WHERE send_id = ?1 AND state = 'queued') THEN 1 ELSE 0 END,
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
		case "skipped":
			c.Skipped = n
		}
	}
	return c, q.db.wrap(rows.Err(), "count deliveries")
}
