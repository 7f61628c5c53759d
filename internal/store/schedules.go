package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mailer/internal/fault"
)

// Schedule is an issue to send to a list at a time.
type Schedule struct {
	ID          int64         `json:"id"`
	Issue       string        `json:"issue"`
	ListID      int64         `json:"-"`
	ListName    string        `json:"list"`
	ContentHash string        `json:"content_hash"`
	DueAt       time.Time     `json:"due_at"`
	State       ScheduleState `json:"state"`
	SendID      int64         `json:"send,omitempty"`
	Reason      string        `json:"reason,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	// Replaced is the schedule this one replaced, as ScheduleSend returns
	// it when asked to replace one; nil otherwise.
	Replaced *Replaced `json:"replaced,omitempty"`
}

// Replaced is a schedule cancelled because another took its place.
type Replaced struct {
	ID    int64     `json:"id"`
	DueAt time.Time `json:"due_at"`
}

// ScheduledError is the Conflict of ScheduleSend when the issue is already
// scheduled to the list and no replacing was asked for.
type ScheduledError struct {
	Existing Replaced
	Asked    time.Time
}

func (e *ScheduledError) Error() string {
	return fmt.Sprintf("already scheduled (#%d, for %s; asked for %s)", e.Existing.ID, stamp(e.Existing.DueAt), stamp(e.Asked))
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }

// ScheduleSend stores a schedule. A schedule of the same issue to the same
// list that has not started is replaced only with replace (scheduling again
// is how an edited issue is accepted, or the time moved); without it the
// send is refused with a ScheduledError naming both times, so that a second
// `send --at` cannot silently move or undo the first. The check and the
// insert are one serializable transaction: two at once cannot both pass.
func (db *DB) ScheduleSend(ctx context.Context, s Schedule, replace bool) (*Schedule, error) {
	var id int64
	var old *Replaced
	err := db.inTx(ctx, "schedule "+s.Issue, func(tx *txn) error {
		var err error
		if old, err = scheduledOf(ctx, tx, s.Issue, s.ListID); err != nil {
			return err
		}
		if old != nil && !replace {
			e := &ScheduledError{Existing: *old, Asked: s.DueAt}
			return &fault.Error{Code: fault.Conflict, Err: e, Message: fmt.Sprintf(
				"%s is already scheduled to this list for %s (schedule #%d); you asked for %s. Nothing was changed: "+
					"replace it (mailer send --replace, or replace in the console or the API), or cancel it first (mailer sends cancel s%d)",
				s.Issue, stamp(old.DueAt), old.ID, stamp(s.DueAt), old.ID)}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE schedules SET state = 'cancelled', reason = 'scheduled again', updated_at = ?
			WHERE issue = ? AND list_id = ? AND state = 'scheduled'`, db.now(), s.Issue, s.ListID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO schedules (issue, list_id, content_hash, due_at, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'scheduled', ?, ?) RETURNING id`, s.Issue, s.ListID, s.ContentHash, formatTime(s.DueAt), db.now(), db.now()).Scan(&id)
	})
	if err != nil {
		return nil, db.wrap(err, "schedule "+s.Issue)
	}
	sc, err := db.GetSchedule(ctx, id)
	if sc != nil {
		sc.Replaced = old
	}
	return sc, err
}

// scheduledOf is the schedule of issue to the list that has not started,
// or nil.
func scheduledOf(ctx context.Context, tx *txn, issue string, listID int64) (*Replaced, error) {
	var r Replaced
	var due string
	err := tx.QueryRowContext(ctx, `SELECT id, due_at FROM schedules WHERE issue = ? AND list_id = ? AND state = 'scheduled'
		ORDER BY id DESC LIMIT 1`, issue, listID).Scan(&r.ID, &due)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.DueAt = parseTime(due)
	return &r, nil
}

const scheduleColumns = `s.id, s.issue, s.list_id, l.name, s.content_hash, s.due_at, s.state, coalesce(s.send_id, 0), s.reason, s.created_at`

func scanSchedule(row interface{ Scan(...any) error }) (*Schedule, error) {
	var s Schedule
	var due, created string
	if err := row.Scan(&s.ID, &s.Issue, &s.ListID, &s.ListName, &s.ContentHash, &due, &s.State, &s.SendID, &s.Reason, &created); err != nil {
		return nil, err
	}
	s.DueAt, s.CreatedAt = parseTime(due), parseTime(created)
	return &s, nil
}

// GetSchedule returns one schedule.
func (db *DB) GetSchedule(ctx context.Context, id int64) (*Schedule, error) {
	s, err := scanSchedule(db.sql.QueryRowContext(ctx, `SELECT `+scheduleColumns+` FROM schedules s JOIN lists l ON l.id = s.list_id WHERE s.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.Errorf(fault.NotFound, "no scheduled send #%d", id)
	}
	return s, db.wrap(err, "read schedule")
}

// Schedules lists the schedules that have not started, soonest first, or
// with all set every one, newest first.
func (db *DB) Schedules(ctx context.Context, all bool) ([]*Schedule, error) {
	q := `SELECT ` + scheduleColumns + ` FROM schedules s JOIN lists l ON l.id = s.list_id WHERE s.state = 'scheduled' ORDER BY s.due_at`
	if all {
		q = `SELECT ` + scheduleColumns + ` FROM schedules s JOIN lists l ON l.id = s.list_id ORDER BY s.id DESC`
	}
	return db.schedules(ctx, q)
}

// DueSchedules are the schedules whose time has come.
func (db *DB) DueSchedules(ctx context.Context, now time.Time) ([]*Schedule, error) {
	return db.schedules(ctx, `SELECT `+scheduleColumns+` FROM schedules s JOIN lists l ON l.id = s.list_id
		WHERE s.state = 'scheduled' AND s.due_at <= ? ORDER BY s.due_at`, formatTime(now))
}

func (db *DB) schedules(ctx context.Context, q string, args ...any) ([]*Schedule, error) {
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "read schedules")
	}
	defer rows.Close()
	var out []*Schedule
	for rows.Next() {
		s, err := scanSchedule(rows)
		if err != nil {
			return nil, db.wrap(err, "read schedules")
		}
		out = append(out, s)
	}
	return out, db.wrap(rows.Err(), "read schedules")
}

// EndSchedule moves a schedule that has not started on: to started (with
// its send), cancelled or refused (with the reason). Only one process wins
// a due schedule: the move is conditional on it still being scheduled.
func (db *DB) EndSchedule(ctx context.Context, id int64, state ScheduleState, sendID int64, reason string) error {
	if !ScheduleScheduled.CanBecome(state) {
		return fault.Errorf(fault.Internal, "a scheduled send cannot become %q", state)
	}
	var send any
	if sendID > 0 {
		send = sendID
	}
	res, err := db.sql.ExecContext(ctx, `UPDATE schedules SET state = ?, send_id = ?, reason = ?, updated_at = ? WHERE id = ? AND state = 'scheduled'`,
		string(state), send, reason, db.now(), id)
	if err != nil {
		return db.wrap(err, "update schedule")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.Errorf(fault.Conflict, "scheduled send #%d has already started or ended", id)
	}
	return nil
}

// SetPaused pauses or resumes a send. A paused send claims nothing: a
// terminal `mailer send` on it stops after the messages in flight, and
// the daemon leaves it alone.
func (db *DB) SetPaused(ctx context.Context, sendID int64, paused bool) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE sends SET paused = ? WHERE id = ? AND state = 'sending'`, paused, sendID)
	if err != nil {
		return db.wrap(err, "pause send")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.Errorf(fault.Conflict, "send #%d is not running (finished, or no such send)", sendID)
	}
	return nil
}

// CancelSend stops a send for good: what is left is skipped, with the
// reason, and the send is finished.
func (db *DB) CancelSend(ctx context.Context, sendID int64, reason string) (int, error) {
	var n int64
	err := db.inTx(ctx, "cancel send", func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'skipped', last_reply = ?, updated_at = ?
			WHERE send_id = ? AND state IN ('queued', 'deferred')`, "skipped: "+reason, db.now(), sendID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		res, err = tx.ExecContext(ctx, `UPDATE sends SET state = 'done', finished_at = ?, paused = FALSE WHERE id = ? AND state = 'sending'`, db.now(), sendID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fault.Errorf(fault.Conflict, "send #%d is not running (finished, or no such send)", sendID)
		}
		return nil
	})
	return int(n), err
}

// ResumableSends are the sends the daemon should deliver: not finished,
// not paused, with queued messages, messages left in flight, or deferred
// ones that are due. Whether another process holds one is for its lease
// to say (TakeLease).
func (db *DB) ResumableSends(ctx context.Context, now time.Time) ([]*Send, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM sends s WHERE s.state = 'sending' AND s.paused = FALSE
		AND EXISTS (SELECT 1 FROM deliveries d WHERE d.send_id = s.id AND (d.state IN ('queued', 'sending')
			OR d.state = 'deferred' AND d.next_attempt_at <= ?1)) ORDER BY s.id`, formatTime(now))
	if err != nil {
		return nil, db.wrap(err, "read sends")
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, db.wrap(err, "read sends")
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []*Send
	for _, id := range ids {
		s, err := db.GetSend(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Paused says whether a send is paused.
func (db *DB) Paused(ctx context.Context, sendID int64) (bool, error) {
	var p bool
	err := db.sql.QueryRowContext(ctx, `SELECT paused FROM sends WHERE id = ?`, sendID).Scan(&p)
	return p, db.wrap(err, "read send")
}
