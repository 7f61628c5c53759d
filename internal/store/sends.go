package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/fault"
)

// Send is one issue's delivery to one list.
type Send struct {
	ID          int64      `json:"id"`
	Issue       string     `json:"issue"`
	ListID      int64      `json:"-"`
	ListName    string     `json:"list"`
	Subject     string     `json:"subject"`
	ContentHash string     `json:"content_hash"`
	MsgIDNonce  string     `json:"-"`
	State       SendState  `json:"state"`
	Total       int        `json:"total"`
	CreatedAt   time.Time  `json:"created_at"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	LeaseOwner  string     `json:"lease_owner,omitempty"`
	LeaseUntil  time.Time  `json:"-"`
	Paused      bool       `json:"paused"`
	// PauseReason says why mailer paused the send itself (its circuit
	// breaker); empty when a person paused it or it is not paused.
	PauseReason string `json:"pause_reason,omitempty"`
	// LearnedPace is the rate the relay's throttle replies taught the
	// send, in messages a second; 0 when the relay never throttled it.
	LearnedPace float64         `json:"learned_pace,omitempty"`
	Counts      delivery.Counts `json:"counts"`
}

// NewSend describes a send to start.
type NewSend struct {
	Issue, Subject, ContentHash string
	ListID                      int64
	MsgIDNonce, MsgIDDomain     string // Message-IDs are <nonce.subscriber@domain>
	LeaseOwner                  string
	LeaseUntil                  time.Time
	// Rate is the whole send's limit in messages per second (0: none),
	// shared by every worker, with a burst of RateBurst messages.
	Rate      float64
	RateBurst int
}

// StartSend creates a send held by the caller's lease and snapshots the
// list's active members into its queue, in one transaction: members who
// join later are not in this send. There is no ORDER BY: the membership
// index already yields subscriber order, and sorting a million rows would
// cost memory the sender is not meant to use.
func (db *DB) StartSend(ctx context.Context, ns NewSend) (*Send, error) {
	var id int64
	now := db.now()
	err := db.inTx(ctx, "start send", func(tx *txn) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO sends (issue, list_id, subject, content_hash, msgid_nonce, state, created_at, lease_owner, lease_until, rate, rate_burst)
			VALUES (?, ?, ?, ?, ?, 'sending', ?, ?, ?, ?, ?) RETURNING id`,
			ns.Issue, ns.ListID, ns.Subject, ns.ContentHash, ns.MsgIDNonce, now, ns.LeaseOwner, formatTime(ns.LeaseUntil),
			max(ns.Rate, 0), max(ns.RateBurst, 1)).Scan(&id)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO deliveries (send_id, subscriber_id, address, name, state, message_id, created_at, updated_at)
			SELECT ?1, s.id, s.address, s.name, 'queued', CAST(?2 AS TEXT) || '.' || CAST(s.id AS TEXT) || '@' || CAST(?3 AS TEXT), ?4, ?4
			FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id
			WHERE m.list_id = ?5 AND m.status = 'active'`, id, ns.MsgIDNonce, ns.MsgIDDomain, now, ns.ListID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		_, err = tx.ExecContext(ctx, `UPDATE sends SET total = ? WHERE id = ?`, n, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return db.GetSend(ctx, id)
}

const sendColumns = `s.id, s.issue, s.list_id, l.name, s.subject, s.content_hash, s.msgid_nonce, s.state, s.total, s.created_at, s.finished_at, s.lease_owner, s.lease_until, s.paused, s.pause_reason, s.learned_pace`

func (db *DB) scanSend(ctx context.Context, row interface{ Scan(...any) error }) (*Send, error) {
	var s Send
	var created, leaseUntil string
	var finished sql.NullString
	if err := row.Scan(&s.ID, &s.Issue, &s.ListID, &s.ListName, &s.Subject, &s.ContentHash, &s.MsgIDNonce, &s.State, &s.Total,
		&created, &finished, &s.LeaseOwner, &leaseUntil, &s.Paused, &s.PauseReason, &s.LearnedPace); err != nil {
		return nil, err
	}
	s.CreatedAt, s.FinishedAt, s.LeaseUntil = parseTime(created), parseNullTime(finished), parseTime(leaseUntil)
	c, err := db.Queue(s.ID).Counts(ctx)
	s.Counts = c
	return &s, err
}

// GetSend returns a send with its counts.
func (db *DB) GetSend(ctx context.Context, id int64) (*Send, error) {
	s, err := db.scanSend(ctx, db.sql.QueryRowContext(ctx, `SELECT `+sendColumns+` FROM sends s JOIN lists l ON l.id = s.list_id WHERE s.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.Errorf(fault.NotFound, "no send %d", id)
	}
	return s, db.wrap(err, "read send")
}

// Sends returns the sends of an issue (all sends when issue is empty),
// newest first, with their counts.
func (db *DB) Sends(ctx context.Context, issue string) ([]*Send, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM sends WHERE ?1 = '' OR issue = ?1 ORDER BY id DESC`, issue)
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
	out := []*Send{}
	for _, id := range ids {
		s, err := db.GetSend(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// LatestSend returns the newest send of issue to the list, or NotFound.
func (db *DB) LatestSend(ctx context.Context, issue string, listID int64) (*Send, error) {
	var id int64
	err := db.sql.QueryRowContext(ctx, `SELECT id FROM sends WHERE issue = ? AND list_id = ? ORDER BY id DESC LIMIT 1`, issue, listID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.Errorf(fault.NotFound, "%s has not been sent to that list", issue)
	}
	if err != nil {
		return nil, db.wrap(err, "read sends")
	}
	return db.GetSend(ctx, id)
}

// ErrLeaseHeld is returned when another process is delivering the send.
var ErrLeaseHeld = errors.New("lease held by another process")

// TakeLease makes owner the deliverer of the send until until. It fails
// with a Conflict wrapping ErrLeaseHeld while another owner's lease is
// current, unless steal says that owner is gone.
func (db *DB) TakeLease(ctx context.Context, sendID int64, owner string, until time.Time, steal func(holder string) bool) error {
	return db.inTx(ctx, "take lease", func(tx *txn) error {
		var holder, held string
		if err := tx.QueryRowContext(ctx, `SELECT lease_owner, lease_until FROM sends WHERE id = ?`, sendID).Scan(&holder, &held); err != nil {
			return err
		}
		if holder != "" && holder != owner && parseTime(held).After(db.Now()) && (steal == nil || !steal(holder)) {
			return &fault.Error{Code: fault.Conflict, Err: ErrLeaseHeld,
				Message: "another mailer process (" + holder + ") is delivering this send; its lease runs until " + parseTime(held).Local().Format(time.DateTime)}
		}
		_, err := tx.ExecContext(ctx, `UPDATE sends SET lease_owner = ?, lease_until = ? WHERE id = ?`, owner, formatTime(until), sendID)
		return err
	})
}

// RenewLease extends owner's lease; it fails if someone else took it.
func (db *DB) RenewLease(ctx context.Context, sendID int64, owner string, until time.Time) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE sends SET lease_until = ? WHERE id = ? AND lease_owner = ?`, formatTime(until), sendID, owner)
	if err != nil {
		return db.wrap(err, "renew lease")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &fault.Error{Code: fault.Conflict, Err: ErrLeaseHeld, Message: "lost the lease on this send to another process"}
	}
	return nil
}

// ReleaseLease gives up owner's lease.
func (db *DB) ReleaseLease(ctx context.Context, sendID int64, owner string) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE sends SET lease_owner = '', lease_until = '' WHERE id = ? AND lease_owner = ?`, sendID, owner)
	return db.wrap(err, "release lease")
}

// RequeueFailed puts a send's failed deliveries back in the queue.
func (db *DB) RequeueFailed(ctx context.Context, sendID int64) (int, error) {
	var n int64
	err := db.inTx(ctx, "requeue failed deliveries", func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'queued', attempts = 0, permanent = FALSE, next_attempt_at = NULL, created_at = ?, updated_at = ?
			WHERE send_id = ? AND state = 'failed'`, db.now(), db.now(), sendID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, `UPDATE sends SET state = 'sending', finished_at = NULL WHERE id = ?`, sendID)
		return err
	})
	return int(n), err
}

// FinishSend marks a send done.
// It reports whether this call finished it: of several workers that see
// the end, one does.
func (db *DB) FinishSend(ctx context.Context, sendID int64) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE sends SET state = 'done', finished_at = ? WHERE id = ? AND state = 'sending'`, db.now(), sendID)
	if err != nil {
		return false, db.wrap(err, "finish send")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetRate sets the send's rate limit, shared by its workers (0: none).
func (db *DB) SetRate(ctx context.Context, sendID int64, perSecond float64, burst int) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE sends SET rate = ?, rate_burst = ? WHERE id = ?`, max(perSecond, 0), max(burst, 1), sendID)
	return db.wrap(err, "set rate")
}

// SentSince returns when each delivery since t was sent, over all sends,
// for the per-hour and per-day caps.
func (db *DB) SentSince(ctx context.Context, t time.Time) ([]time.Time, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT sent_at FROM deliveries WHERE sent_at >= ? ORDER BY sent_at`, formatTime(t))
	if err != nil {
		return nil, db.wrap(err, "read recent deliveries")
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, db.wrap(err, "read recent deliveries")
		}
		out = append(out, parseTime(s))
	}
	return out, db.wrap(rows.Err(), "read recent deliveries")
}

// DeliveryProblem is a recent deferral or failure, for status reports.
type DeliveryProblem struct {
	Address  string        `json:"address"`
	State    DeliveryState `json:"state"`
	Attempts int           `json:"attempts"`
	Reply    string        `json:"reply"`
	At       time.Time     `json:"at"`
}

// Problems returns the latest deferred, failed and skipped deliveries of a send.
func (db *DB) Problems(ctx context.Context, sendID int64, limit int) ([]DeliveryProblem, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT address, state, attempts, last_reply, updated_at FROM deliveries
		WHERE send_id = ? AND state IN ('deferred', 'failed', 'skipped') ORDER BY updated_at DESC LIMIT ?`, sendID, limit)
	if err != nil {
		return nil, db.wrap(err, "read delivery problems")
	}
	defer rows.Close()
	out := []DeliveryProblem{}
	for rows.Next() {
		var p DeliveryProblem
		var at string
		if err := rows.Scan(&p.Address, &p.State, &p.Attempts, &p.Reply, &at); err != nil {
			return nil, db.wrap(err, "read delivery problems")
		}
		p.At = parseTime(at)
		out = append(out, p)
	}
	return out, db.wrap(rows.Err(), "read delivery problems")
}

// ErrPausedByMailer marks a resume refused because mailer paused the send
// itself, for a reason a person must overrule on purpose (force).
var ErrPausedByMailer = errors.New("paused by mailer")

// PauseFor pauses a running send with the reason mailer paused it, which
// `sends ls` and `status` show and which a resume must overrule with
// force. A send already paused keeps its pause and takes the reason.
func (db *DB) PauseFor(ctx context.Context, sendID int64, reason string) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE sends SET paused = TRUE, pause_reason = ? WHERE id = ? AND state = 'sending'`, reason, sendID)
	if err != nil {
		return db.wrap(err, "pause send")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.Errorf(fault.Conflict, "send #%d is not running (finished, or no such send)", sendID)
	}
	return nil
}

// ResumeSend lets a paused send go on and forgets why it was paused. A
// send mailer paused itself is resumed only with force; without, the
// refusal is a Conflict wrapping ErrPausedByMailer that names the reason.
// The check and the change are one statement, so a pause that lands
// between them cannot be lost.
func (db *DB) ResumeSend(ctx context.Context, sendID int64, force bool) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE sends SET paused = FALSE, pause_reason = ''
		WHERE id = ? AND state = 'sending' AND (pause_reason = '' OR ?)`, sendID, force)
	if err != nil {
		return db.wrap(err, "resume send")
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	var reason string
	var state SendState
	err = db.sql.QueryRowContext(ctx, `SELECT state, pause_reason FROM sends WHERE id = ?`, sendID).Scan(&state, &reason)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return db.wrap(err, "resume send")
	}
	if err == nil && state == SendSending && reason != "" {
		return &fault.Error{Code: fault.Conflict, Err: ErrPausedByMailer, Message: reason}
	}
	return fault.Errorf(fault.Conflict, "send #%d is not running (finished, or no such send)", sendID)
}

// SetLearnedPace records the rate the relay's throttling taught a send
// that is running (messages a second).
func (db *DB) SetLearnedPace(ctx context.Context, sendID int64, pace float64) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE sends SET learned_pace = ? WHERE id = ? AND state = 'sending'`, pace, sendID)
	return db.wrap(err, "record the learned pace")
}
