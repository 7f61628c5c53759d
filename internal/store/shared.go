package store

import (
	"context"
	"fmt"
	"time"

	"mailer/internal/delivery"
)

// Several workers on one send: the rows of stopped workers come back, the
// rate limit is the send's, and on PostgreSQL rows are claimed in batches
// that concurrent workers skip past.

// claimUntil is when a claim made now lapses unless renewed. Claims use
// the database's clock, as recovery does.
func (q *SendQueue) claimUntil(time.Time) string { return formatTime(q.db.Now().Add(ClaimFor)) }

// reclaim puts back the rows of workers that stopped, now and then.
func (q *SendQueue) reclaim(ctx context.Context, want int) error {
	if q.o.Owner == "" || want == 0 || time.Since(q.reclaimed) < reclaimEvery {
		return nil
	}
	q.reclaimed = time.Now()
	n, err := q.db.RecoverInFlight(ctx, q.sendID, q.o.Resend, q.o.Gone)
	if n > 0 {
		q.ahead, q.cursor, q.deferred = nil, 0, -1 // the rows are back behind the read-ahead
	}
	return err
}

// allow says how many of want the send's rate lets this worker claim now
// (GCRA over the send's row, locked on PostgreSQL so that workers take
// turns). It uses the real clock: the rate is about real time.
func (q *SendQueue) allow(ctx context.Context, tx *txn, want int, now time.Time) (int, error) {
	q.rateNext = time.Time{}
	want, err := q.capped(ctx, tx, want, now)
	if err != nil || q.rate <= 0 || want == 0 {
		return want, err
	}
	var tat string
	if err := tx.QueryRowContext(ctx, `SELECT rate_tat FROM sends WHERE id = ?`+q.db.forUpdate(), q.sendID).Scan(&tat); err != nil {
		return 0, err
	}
	now, interval := time.Now(), time.Duration(float64(time.Second)/q.rate)
	t := parseTime(tat)
	if t.Before(now) {
		t = now
	}
	n := int(now.Add(time.Duration(max(q.burst, 1))*interval).Sub(t) / interval)
	n = min(max(n, 0), want)
	if n == 0 {
		// When one more is allowed, on the database's clock for NextDue.
		q.rateNext = q.db.Now().Add(t.Add(-time.Duration(max(q.burst, 1)-1) * interval).Sub(now))
	}
	q.tat = t
	return n, nil
}

// capped lowers want to the room the hourly and daily caps leave, counted
// over every send and worker (one claimant at a time on PostgreSQL); with
// none left, NextDue says when the oldest message in the window leaves it.
// The count is cheap: the caps bound it.
func (q *SendQueue) capped(ctx context.Context, tx *txn, want int, now time.Time) (int, error) {
	if want == 0 || (q.o.PerHour <= 0 && q.o.PerDay <= 0) {
		return want, nil
	}
	if q.db.dialect == postgresDialect {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7262538)`); err != nil {
			return 0, err
		}
	}
	var inFlight int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE state = 'sending'`).Scan(&inFlight); err != nil {
		return 0, err
	}
	for _, w := range []struct {
		limit int
		span  time.Duration
	}{{q.o.PerHour, time.Hour}, {q.o.PerDay, 24 * time.Hour}} {
		if w.limit <= 0 {
			continue
		}
		var sent int
		var oldest *string
		if err := tx.QueryRowContext(ctx, `SELECT count(*), min(sent_at) FROM deliveries WHERE sent_at >= ?`,
			formatTime(now.Add(-w.span))).Scan(&sent, &oldest); err != nil {
			return 0, err
		}
		room := w.limit - sent - inFlight
		if room <= 0 {
			free := now.Add(time.Minute) // in flight only: look again soon
			if oldest != nil && sent > 0 {
				free = parseTime(*oldest).Add(w.span)
			}
			if free.After(q.rateNext) {
				q.rateNext = free
			}
		}
		want = min(want, max(room, 0))
	}
	return want, nil
}

// spend moves the send's rate on by the k messages just claimed.
func (q *SendQueue) spend(ctx context.Context, tx *txn, k int, _ time.Time) error {
	if q.rate <= 0 || k == 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / q.rate)
	_, err := tx.ExecContext(ctx, `UPDATE sends SET rate_tat = ? WHERE id = ?`, formatTime(q.tat.Add(time.Duration(k)*interval)), q.sendID)
	return err
}

// forUpdate locks the rows a SELECT reads on PostgreSQL; SQLite's write
// transaction already holds the whole database.
func (db *DB) forUpdate() string {
	if db.dialect == postgresDialect {
		return ` FOR UPDATE`
	}
	return ""
}

// claimBatch claims the next queued rows in id order after the worker's
// cursor that no other worker is claiming right now (PostgreSQL), skipping
// those whose reader left. The cursor matters: claimed rows leave dead
// entries at the front of the queued index until vacuum, and a scan from
// the start would wade through all of them at every claim.
var claimBatch = `UPDATE deliveries SET updated_at = ?1,
	state = CASE WHEN ` + fmt.Sprintf(stillMember, 6) + ` THEN 'sending' ELSE 'skipped' END,
	last_reply = CASE WHEN ` + fmt.Sprintf(stillMember, 6) + ` THEN last_reply ELSE ` + fmt.Sprintf(skipReason, 6) + ` END,
	claim_owner = ?4, claim_until = ?5
	WHERE id IN (SELECT id FROM deliveries WHERE send_id = ?2 AND state = 'queued' AND id > ?7 ORDER BY id LIMIT ?3 FOR UPDATE SKIP LOCKED)
	RETURNING ` + jobColumns + `, state`

func (q *SendQueue) claimBatches(ctx context.Context, tx *txn, jobs *[]delivery.Job, cursor *int64, want int, now time.Time) error {
	stmt, err := q.db.prepared(ctx, tx, claimBatch)
	if err != nil {
		return err
	}
	for len(*jobs) < want {
		rows, err := stmt.QueryContext(ctx, formatTime(now), q.sendID, want-len(*jobs), q.o.Owner, q.claimUntil(now), q.listID, *cursor)
		if err != nil {
			return err
		}
		got := 0
		for rows.Next() {
			var j delivery.Job
			var queued, state string
			if err := rows.Scan(&j.ID, &j.SubscriberID, &j.Address, &j.Name, &j.MessageID, &j.Attempts, &queued, &state); err != nil {
				rows.Close()
				return err
			}
			got++
			*cursor = max(*cursor, j.ID)
			if DeliveryState(state) == DeliverySending {
				j.QueuedAt = parseTime(queued)
				*jobs = append(*jobs, j)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if got == 0 {
			if *cursor == 0 {
				return nil
			}
			// Behind the cursor may be rows another worker let go (its
			// claim rolled back) or that came back from a stopped one:
			// look once more from the start.
			*cursor = 0
		}
	}
	return nil
}

// recordBatch records a round's results in one statement on PostgreSQL,
// where each statement is a round trip to the server.
const recordBatch = `UPDATE deliveries d SET state = v.state, last_reply = v.reply, permanent = v.perm, updated_at = v.at,
		attempts = d.attempts + CASE WHEN v.state = 'queued' THEN 0 ELSE 1 END,
		next_attempt_at = CASE WHEN v.state = 'deferred' THEN v.next ELSE NULL END,
		sent_at = CASE WHEN v.state = 'sent' THEN v.at ELSE d.sent_at END
	FROM (SELECT unnest(?1::bigint[]) AS id, unnest(?2::text[]) AS state, unnest(?3::text[]) AS reply,
		unnest(?4::boolean[]) AS perm, unnest(?5::text[]) AS at, unnest(?6::text[]) AS next) v
	WHERE d.id = v.id AND d.send_id = ?7`

func (q *SendQueue) recordBatch(ctx context.Context, tx *txn, results []delivery.Result) error {
	n := len(results)
	ids, states, replies, perms, ats, nexts := make([]int64, n), make([]string, n), make([]string, n), make([]bool, n), make([]string, n), make([]*string, n)
	for i, r := range results {
		ids[i], states[i], replies[i], perms[i], ats[i] = r.JobID, string(r.Outcome), r.Reply, r.Permanent, formatTime(r.At)
		if r.Outcome == delivery.Deferred {
			next := formatTime(r.NextAttempt)
			nexts[i] = &next
		}
	}
	_, err := tx.ExecContext(ctx, recordBatch, ids, states, replies, perms, ats, nexts, q.sendID)
	return err
}
