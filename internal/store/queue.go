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

	o         QueueOptions
	rate      float64   // the send's shared limit, messages per second; 0: none
	burst     int       // messages the shared limit lets through at once
	rateNext  time.Time // when the shared limit allows the next claim, after it held one back
	tat       time.Time // the limit's arrival time read by the claim in progress
	reclaimed time.Time // when the rows of stopped workers were last looked for
}

// QueueOptions say who works a queue. Several workers (processes) can
// work one send's queue at once: each claims rows in its own name.
type QueueOptions struct {
	Owner  string            // the worker: claims are made, renewed and recovered in its name
	Gone   func(string) bool // whether another worker is known to have stopped (may be nil)
	Resend bool              // rows of a stopped worker go back in the queue (else: failed)
	// PerHour and PerDay cap the messages sent in any hour and day over
	// all sends and workers (0: none), counted in the database at each
	// claim, messages in flight included.
	PerHour, PerDay int
}

// pausedEvery is how often a running send looks whether it was paused:
// often enough for a person, rarely enough to cost nothing per message.
const pausedEvery = time.Second

// readAhead is how many queued rows one read brings in.
const readAhead = 512

// Queue returns the queue of a send, for counting or for a lone worker.
func (db *DB) Queue(sendID int64) *SendQueue { return db.QueueWith(sendID, QueueOptions{Resend: true}) }

// QueueWith returns the queue of a send for the worker o names.
func (db *DB) QueueWith(sendID int64, o QueueOptions) *SendQueue {
	return &SendQueue{db: db, sendID: sendID, deferred: -1, o: o}
}

// reclaimEvery is how often a worker looks for rows of stopped workers.
const reclaimEvery = time.Second

var _ delivery.Queue = (*SendQueue)(nil)

// Exchange records results and claims up to want due jobs, deferred ones
// first, in one transaction. A claimed job is "sending", in this worker's
// name, before anyone sends it, so that a crash leaves the messages in
// flight identifiable.
func (q *SendQueue) Exchange(ctx context.Context, results []delivery.Result, want int, now time.Time) ([]delivery.Job, error) {
	if len(results) == 0 && want == 0 {
		return nil, nil
	}
	want, err := q.prepare(ctx, want)
	if err != nil || (want == 0 && len(results) == 0) {
		return nil, err
	}
	x := exchange{q: q, now: now, deferred: q.deferred, ahead: q.ahead, cursor: q.cursor}
	err = q.db.inTxIso(ctx, "record deliveries", sql.LevelReadCommitted, func(tx *txn) error {
		x.reset(results)
		return x.run(ctx, tx, results, want)
	})
	if err != nil {
		// The transaction rolled back: forget what it read or counted.
		q.ahead, q.cursor, q.deferred = nil, 0, -1
		return nil, err
	}
	q.deferred, q.ahead, q.cursor = max(x.deferred, 0), x.ahead, x.cursor
	return x.jobs, nil
}

// prepare reads what a claim needs to know once or now and then: the
// send, stopped workers' rows, the deferred count, whether the send is
// paused (then it claims nothing).
func (q *SendQueue) prepare(ctx context.Context, want int) (int, error) {
	if q.listID == 0 {
		if err := q.db.sql.QueryRowContext(ctx, `SELECT list_id, rate, rate_burst FROM sends WHERE id = ?`, q.sendID).Scan(&q.listID, &q.rate, &q.burst); err != nil {
			return 0, q.db.wrap(err, "read send")
		}
	}
	if err := q.reclaim(ctx, want); err != nil {
		return 0, err
	}
	if q.deferred < 0 {
		c, err := q.Counts(ctx)
		if err != nil {
			return 0, err
		}
		q.deferred = c.Deferred
	}
	if want > 0 && time.Since(q.pausedAt) >= pausedEvery {
		p, err := q.db.Paused(ctx, q.sendID)
		if err != nil {
			return 0, err
		}
		q.paused, q.pausedAt = p, time.Now()
	}
	if q.paused {
		return 0, nil
	}
	return want, nil
}

// exchange is one Exchange's transaction: what it claimed, and the
// queue's read-ahead and counts as they will be if it commits.
type exchange struct {
	q        *SendQueue
	now      time.Time
	jobs     []delivery.Job
	deferred int
	ahead    []delivery.Job
	cursor   int64
}

// reset starts (or restarts, after a lost conflict) from the queue's state.
func (x *exchange) reset(results []delivery.Result) {
	x.jobs, x.deferred, x.ahead, x.cursor = x.jobs[:0], x.q.deferred, x.q.ahead, x.q.cursor
	for _, r := range results {
		switch r.Outcome {
		case delivery.Deferred:
			x.deferred++
		case delivery.Requeue:
			// Back in line: read the queue again from its start.
			x.ahead, x.cursor = nil, 0
		}
	}
}

func (x *exchange) run(ctx context.Context, tx *txn, results []delivery.Result, want int) error {
	q := x.q
	if err := q.record(ctx, tx, results); err != nil {
		return err
	}
	want, err := q.allow(ctx, tx, want, x.now)
	if err != nil {
		return err
	}
	if err := x.claimDeferred(ctx, tx, want); err != nil {
		return err
	}
	if q.db.dialect == postgresDialect {
		err = q.claimBatches(ctx, tx, &x.jobs, &x.cursor, want, x.now)
	} else {
		err = x.claimAhead(ctx, tx, want)
	}
	if err != nil {
		return err
	}
	return q.spend(ctx, tx, len(x.jobs), x.now)
}

// claimDeferred claims due deferred rows, skipping those whose reader left.
func (x *exchange) claimDeferred(ctx context.Context, tx *txn, want int) error {
	q := x.q
	if x.deferred <= 0 || want <= 0 {
		return nil
	}
	skipped, err := q.skipDeferred(ctx, tx, x.now)
	if err != nil {
		return err
	}
	n, err := q.claim(ctx, tx, claimDeferred, &x.jobs, formatTime(x.now), q.sendID, want, q.listID, q.o.Owner, q.claimUntil(x.now))
	x.deferred -= n + skipped
	return err
}

// claimAhead claims queued rows one by one from the read-ahead (SQLite,
// where one writer works at a time).
func (x *exchange) claimAhead(ctx context.Context, tx *txn, want int) error {
	q := x.q
	claim, err := q.db.prepared(ctx, tx, claimByID)
	if err != nil {
		return err
	}
	for len(x.jobs) < want {
		if len(x.ahead) == 0 {
			if err := q.readQueued(ctx, tx, &x.ahead, &x.cursor); err != nil || len(x.ahead) == 0 {
				return err
			}
		}
		j := x.ahead[0]
		x.ahead = x.ahead[1:]
		res, err := claim.ExecContext(ctx, formatTime(x.now), j.ID, q.listID, q.o.Owner, q.claimUntil(x.now))
		if err != nil {
			return err
		}
		// A row no longer queued (another worker, or an operator) is not
		// ours to send; one whose reader left is skipped.
		if n, _ := res.RowsAffected(); n == 1 {
			x.jobs = append(x.jobs, j)
		} else if err := q.skip(ctx, tx, j.ID, x.now); err != nil {
			return err
		}
	}
	return nil
}

const jobColumns = `id, subscriber_id, address, name, message_id, attempts, created_at`

// stillMember is the hand-over check, part of every claim: nobody who is
// not an active member at that moment gets the message, whether it is a
// first attempt, a retry or a resumed send.
const stillMember = `EXISTS (SELECT 1 FROM memberships m WHERE m.list_id = ?%d
	AND m.subscriber_id = deliveries.subscriber_id AND m.status = 'active')`

// claimDeferred takes deferred rows that are due and whose reader is still
// a member.
var claimDeferred = `UPDATE deliveries SET state = 'sending', updated_at = ?1, claim_owner = ?5, claim_until = ?6 WHERE id IN (
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

var claimByID = `UPDATE deliveries SET state = 'sending', updated_at = ?1, claim_owner = ?4, claim_until = ?5
	WHERE id = ?2 AND state = 'queued' AND ` + fmt.Sprintf(stillMember, 3)

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
	if q.db.dialect == postgresDialect {
		return q.recordBatch(ctx, tx, results)
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
	// The send's rate or the caps may hold the next claim back.
	if queued == 1 {
		return latest(q.db.Now(), q.rateNext), true, nil
	}
	if next.Valid {
		return latest(parseTime(next.String), q.rateNext), true, nil
	}
	return q.othersInFlight(ctx)
}

// othersInFlight: with nothing left to claim, a worker waits while others
// still send, looking again every second, so that it takes back the rows
// of one that stops.
func (q *SendQueue) othersInFlight(ctx context.Context) (time.Time, bool, error) {
	if q.o.Owner == "" {
		return time.Time{}, false, nil
	}
	until, busy, err := q.db.OthersInFlight(ctx, q.sendID, q.o.Owner)
	if err != nil || !busy {
		return time.Time{}, false, err
	}
	if soon := q.db.Now().Add(reclaimEvery); soon.Before(until) {
		until = soon
	}
	return until, true, nil
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
		switch DeliveryState(state) {
		case DeliveryQueued:
			c.Queued = n
		case DeliverySending:
			c.Sending = n
		case DeliverySent:
			c.Sent = n
		case DeliveryDeferred:
			c.Deferred = n
		case DeliveryFailed:
			c.Failed = n
		case DeliverySkipped:
			c.Skipped = n
		}
	}
	return c, q.db.wrap(rows.Err(), "count deliveries")
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
