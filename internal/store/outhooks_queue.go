package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"syscall"
	"time"

	"mailer/internal/fault"
)

const hookEventQuery = `SELECT e.id, e.hook_id, h.url, h.secret, e.type, e.subject, e.payload, e.created_at, e.next_attempt_at, e.attempts, e.state
	FROM hook_events e JOIN hooks h ON h.id = e.hook_id`

func scanHookEvent(row interface{ Scan(...any) error }) (*HookEvent, error) {
	var e HookEvent
	var created, next string
	err := row.Scan(&e.ID, &e.HookID, &e.URL, &e.Secret, &e.Type, &e.Subject, &e.Payload, &created, &next, &e.Attempts, &e.State)
	if err != nil {
		return nil, err
	}
	e.CreatedAt, e.NextAttemptAt = parseTime(created), parseTime(next)
	return &e, nil
}

// DueHookURLs returns the receivers' URLs with an event due at now, so
// that the dispatcher gives each URL one worker.
func (db *DB) DueHookURLs(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT DISTINCT h.url FROM hook_events e JOIN hooks h ON h.id = e.hook_id
		WHERE e.state = 'queued' AND e.next_attempt_at <= ? AND h.disabled_at IS NULL ORDER BY h.url`, formatTime(now))
	if err != nil {
		return nil, db.wrap(err, "read due hook events")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, db.wrap(err, "read due hook events")
		}
		out = append(out, u)
	}
	return out, db.wrap(rows.Err(), "read due hook events")
}

// NextHookEvent returns the event for url that is due first at now, or nil.
// It is read afresh for each delivery: one superseded meanwhile is skipped.
func (db *DB) NextHookEvent(ctx context.Context, url string, now time.Time) (*HookEvent, error) {
	e, err := scanHookEvent(db.sql.QueryRowContext(ctx, hookEventQuery+`
		WHERE h.url = ? AND h.disabled_at IS NULL AND e.state = 'queued' AND e.next_attempt_at <= ?
		ORDER BY e.next_attempt_at, e.id LIMIT 1`, url, formatTime(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return e, db.wrap(err, "read the next hook event")
}

// GetHookEvent returns one event.
func (db *DB) GetHookEvent(ctx context.Context, id int64) (*HookEvent, error) {
	e, err := scanHookEvent(db.sql.QueryRowContext(ctx, hookEventQuery+` WHERE e.id = ?`, id))
	return e, db.wrap(err, "read hook event")
}

// HookEvents returns a hook's events, newest first.
func (db *DB) HookEvents(ctx context.Context, hookID int64, limit int) ([]*HookEvent, error) {
	rows, err := db.sql.QueryContext(ctx, hookEventQuery+` WHERE e.hook_id = ? ORDER BY e.id DESC LIMIT ?`, hookID, limit)
	if err != nil {
		return nil, db.wrap(err, "read hook events")
	}
	defer rows.Close()
	var out []*HookEvent
	for rows.Next() {
		e, err := scanHookEvent(rows)
		if err != nil {
			return nil, db.wrap(err, "read hook events")
		}
		out = append(out, e)
	}
	return out, db.wrap(rows.Err(), "read hook events")
}

// QueueHookEvent queues an event made outside the triggers (a ping), due
// at next.
func (db *DB) QueueHookEvent(ctx context.Context, hookID int64, typ, subject, payload string, next time.Time) (*HookEvent, error) {
	var id int64
	err := db.sql.QueryRowContext(ctx, `INSERT INTO hook_events (hook_id, type, subject, payload, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, hookID, typ, subject, payload, db.now(), formatTime(next)).Scan(&id)
	if err != nil {
		return nil, db.wrap(err, "queue hook event")
	}
	return db.GetHookEvent(ctx, id)
}

// HookOutcome is what an attempt leaves the event as: delivered, failed,
// or queued again for Next.
type HookOutcome struct {
	State HookEventState
	Next  time.Time // with HookQueued
}

// RecordHookAttempt keeps the attempt and moves the event as out says. An
// event superseded while its request was out stays superseded unless that
// request delivered it.
func (db *DB) RecordHookAttempt(ctx context.Context, a HookAttempt, out HookOutcome) error {
	err := db.inTx(ctx, "record hook attempt", func(tx *txn) error {
		var status sql.NullInt64
		if a.Status != 0 {
			status = sql.NullInt64{Int64: int64(a.Status), Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO hook_attempts (event_id, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?)`,
			a.EventID, formatTime(a.At), status, a.Error, a.Duration.Milliseconds()); err != nil {
			return err
		}
		next := formatTime(out.Next)
		if out.State != HookQueued {
			next = formatTime(a.At)
		}
		_, err := tx.ExecContext(ctx, `UPDATE hook_events SET attempts = attempts + 1, next_attempt_at = ?1,
			state = CASE WHEN ?2 = 'delivered' OR state = 'queued' THEN ?2 ELSE state END WHERE id = ?3`, next, out.State, a.EventID)
		return err
	})
	return db.wrap(err, "record hook attempt")
}

// HookAttempts returns a hook's latest attempts, newest first.
func (db *DB) HookAttempts(ctx context.Context, hookID int64, limit int) ([]HookAttempt, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT a.event_id, e.type, a.at, coalesce(a.status, 0), a.error, a.duration_ms
		FROM hook_attempts a JOIN hook_events e ON e.id = a.event_id WHERE e.hook_id = ? ORDER BY a.id DESC LIMIT ?`, hookID, limit)
	if err != nil {
		return nil, db.wrap(err, "read hook attempts")
	}
	defer rows.Close()
	var out []HookAttempt
	for rows.Next() {
		var a HookAttempt
		var at string
		var ms int64
		if err := rows.Scan(&a.EventID, &a.EventType, &at, &a.Status, &a.Error, &ms); err != nil {
			return nil, db.wrap(err, "read hook attempts")
		}
		a.At, a.Duration = parseTime(at), time.Duration(ms)*time.Millisecond
		out = append(out, a)
	}
	return out, db.wrap(rows.Err(), "read hook attempts")
}

// HoldHookURL makes this process the one delivering to url while it holds
// the returned release, so that one request at a time goes to a URL and no
// event is sent twice, however many `mailer serve` share the queue (ok
// false: another process holds it). On PostgreSQL, shared by several
// machines, a session-level advisory lock on a connection of its own; on
// SQLite, shared by the processes of one machine, flock(2) on a lock file
// next to the database, one per URL (left in place: removing one another
// process waits on would split the lock).
func (db *DB) HoldHookURL(ctx context.Context, url string) (release func(), ok bool, err error) {
	key := hookURLKey(url)
	if db.dialect != postgresDialect {
		return db.flockHookURL(key)
	}
	c, err := db.sql.db.Conn(ctx)
	if err != nil {
		return nil, false, db.wrap(err, "hold the hook's URL")
	}
	if err := c.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil || !ok {
		c.Close()
		return nil, false, db.wrap(err, "hold the hook's URL")
	}
	return func() {
		c.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, key)
		c.Close()
	}, true, nil
}

func (db *DB) flockHookURL(key int64) (release func(), ok bool, err error) {
	f, err := os.OpenFile(fmt.Sprintf("%s-hook-%016x.lock", db.path, uint64(key)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fault.Wrap(fault.Unavailable, err, "hold the hook's URL")
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fault.Wrap(fault.Unavailable, err, "hold the hook's URL")
	}
	return func() { f.Close() }, true, nil // closing the file ends the lock
}

// hookURLKey is the advisory lock key of a receiver's URL: FNV-1a.
func hookURLKey(url string) int64 {
	h := fnv.New64a()
	h.Write([]byte("mailer hook url " + url))
	return int64(h.Sum64())
}

// PruneHookEvents forgets the events settled (delivered, superseded,
// failed) before t, with their attempts, and returns how many.
func (db *DB) PruneHookEvents(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM hook_events WHERE state <> 'queued' AND created_at < ?`, formatTime(t))
	if err != nil {
		return 0, db.wrap(err, "prune hook events")
	}
	n, _ := res.RowsAffected()
	return n, nil
}
