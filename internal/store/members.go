package store

import (
	"context"
	"database/sql"
	"errors"
	"iter"

	"mailer/internal/address"
	"mailer/internal/fault"
)

// Change is the outcome of a membership change.
type Change struct {
	Address string
	From    Status // "" when the person was not a member before
	To      Status
}

// Changed reports whether the status moved.
func (c Change) Changed() bool { return c.From != c.To }

// SetStatus moves addr's membership of list to status, creating the
// subscriber and membership as needed, and records the change in the audit
// log with ev. Moving to the current status changes nothing and is not an
// error; a move the lifecycle forbids (for example pending → bounced) is a
// Conflict.
func (db *DB) SetStatus(ctx context.Context, l *List, addr address.Address, to Status, ev Evidence) (Change, error) {
	var ch Change
	err := db.Update(ctx, "change membership", func(tx *Tx) error {
		var err error
		ch, err = tx.SetStatus(ctx, l, addr, to, ev)
		return err
	})
	return ch, err
}

// memberWriter applies membership changes inside one transaction with
// prepared statements, so that a 100,000-row import is one fast transaction.
type memberWriter struct {
	ctx                                         context.Context
	now                                         string
	upsertSub, getStatus, insert, update, audit *sql.Stmt
	err                                         error
}

func newMemberWriter(ctx context.Context, tx *txn, now string) *memberWriter {
	w := &memberWriter{ctx: ctx, now: now}
	prep := func(q string) *sql.Stmt {
		if w.err != nil {
			return nil
		}
		var s *sql.Stmt
		s, w.err = tx.PrepareContext(ctx, q)
		return s
	}
	// A name given later fills an empty one but never overwrites: the
	// subscriber may have set it themselves.
	w.upsertSub = prep(`INSERT INTO subscribers (address, address_key, name, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (address_key) DO UPDATE SET name = CASE WHEN subscribers.name = '' THEN excluded.name ELSE subscribers.name END
		RETURNING id, address`)
	w.getStatus = prep(`SELECT status FROM memberships WHERE list_id = ? AND subscriber_id = ?`)
	w.insert = prep(`INSERT INTO memberships (list_id, subscriber_id, status, source, reason, created_at, updated_at, confirmed_at, unsubscribed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, CASE WHEN ?3 = 'active' THEN ?6 END, NULL)`)
	w.update = prep(`UPDATE memberships SET status = ?3, source = ?4, reason = ?5, updated_at = ?6,
		confirmed_at = CASE WHEN ?3 = 'active' THEN ?6 ELSE confirmed_at END,
		unsubscribed_at = CASE WHEN ?3 = 'unsubscribed' THEN ?6 WHEN ?3 IN ('active', 'pending') THEN NULL ELSE unsubscribed_at END
		WHERE list_id = ?1 AND subscriber_id = ?2`)
	w.audit = prep(`INSERT INTO audit_log (at, list_name, address, action, old_status, new_status, source, reason, message_id, ip, user_agent, operator)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	return w
}

func (w *memberWriter) close() {
	for _, s := range []*sql.Stmt{w.upsertSub, w.getStatus, w.insert, w.update, w.audit} {
		if s != nil {
			s.Close()
		}
	}
}

// current returns the subscriber id and current status ("" for none),
// creating the subscriber row if needed.
func (w *memberWriter) current(l *List, addr address.Address) (int64, string, Status, error) {
	if w.err != nil {
		return 0, "", "", w.err
	}
	var id int64
	var stored string
	if err := w.upsertSub.QueryRowContext(w.ctx, addr.String(), addr.Key(), addr.Name, w.now).Scan(&id, &stored); err != nil {
		return 0, "", "", err
	}
	var st Status
	err := w.getStatus.QueryRowContext(w.ctx, l.ID, id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return id, stored, st, err
}

func (w *memberWriter) set(l *List, addr address.Address, to Status, ev Evidence) (Change, error) {
	id, stored, from, err := w.current(l, addr)
	if err != nil {
		return Change{}, err
	}
	return w.move(l, id, stored, from, to, ev)
}

func (w *memberWriter) move(l *List, id int64, stored string, from, to Status, ev Evidence) (Change, error) {
	ch := Change{Address: stored, From: from, To: to}
	if from == to {
		return ch, nil
	}
	if !CanMove(from, to) {
		return ch, fault.Errorf(fault.Conflict, "%s is %s on %s and cannot become %s", stored, from, l.Name, to)
	}
	var err error
	if from == "" {
		_, err = w.insert.ExecContext(w.ctx, l.ID, id, to, ev.Source, ev.Reason, w.now, w.now)
	} else {
		_, err = w.update.ExecContext(w.ctx, l.ID, id, to, ev.Source, ev.Reason, w.now)
	}
	if err != nil {
		return ch, err
	}
	_, err = w.audit.ExecContext(w.ctx, w.now, l.Name, stored, actionFor(from, to), from, to, ev.Source, ev.Reason,
		ev.MessageID, ev.IP, ev.UserAgent, ev.Operator)
	return ch, err
}

// actionFor names a status change in the audit log.
func actionFor(from, to Status) string {
	switch {
	case to == Pending:
		return "subscribe-requested"
	case to == Active && from == Pending:
		return "confirmed"
	case to == Active && (from == Bounced || from == Disabled):
		return "reactivated"
	case to == Active:
		return "subscribed"
	case to == Unsubscribed:
		return "unsubscribed"
	case to == Bounced:
		return "bounced"
	case to == Disabled:
		return "disabled"
	}
	return string(to)
}

// GetMember returns addr's membership of l.
func (db *DB) GetMember(ctx context.Context, l *List, addr string) (*Member, error) {
	m, err := getMember(ctx, db.sql, l, addr)
	return m, db.wrap(err, "read member")
}

const memberQuery = `SELECT s.id, s.address, s.name, m.status, m.source, m.reason, m.created_at, m.updated_at, m.confirmed_at, m.unsubscribed_at
	FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id WHERE m.list_id = ?`

func scanMember(row interface{ Scan(...any) error }) (*Member, error) {
	var m Member
	var created, updated string
	var confirmed, unsub sql.NullString
	if err := row.Scan(&m.SubscriberID, &m.Address, &m.Name, &m.Status, &m.Source, &m.Reason, &created, &updated, &confirmed, &unsub); err != nil {
		return nil, err
	}
	m.CreatedAt, m.UpdatedAt = parseTime(created), parseTime(updated)
	m.ConfirmedAt, m.UnsubscribedAt = parseNullTime(confirmed), parseNullTime(unsub)
	return &m, nil
}

// Members streams the members of l in subscriber order, filtered to
// status when it is not empty. Rows are read as they are yielded, so a list
// of a million members never sits in memory.
func (db *DB) Members(ctx context.Context, l *List, status Status) iter.Seq2[*Member, error] {
	return func(yield func(*Member, error) bool) {
		q, args := memberQuery, []any{l.ID}
		if status != "" {
			q += ` AND m.status = ?`
			args = append(args, status)
		}
		rows, err := db.sql.QueryContext(ctx, q+` ORDER BY m.subscriber_id`, args...)
		if err != nil {
			yield(nil, db.wrap(err, "read members"))
			return
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanMember(rows)
			if err != nil {
				yield(nil, db.wrap(err, "read members"))
				return
			}
			if !yield(m, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, db.wrap(err, "read members"))
		}
	}
}

// AuditLog returns the audit entries for a list and/or address (nil and ""
// for any), oldest first.
func (db *DB) AuditLog(ctx context.Context, l *List, addr string) ([]AuditEntry, error) {
	list := ""
	if l != nil {
		list = l.Name
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT at, list_name, address, action, old_status, new_status, source, reason, message_id, ip, user_agent, operator
		FROM audit_log WHERE (?1 = '' OR list_name = ?1) AND (?2 = '' OR lower(address) = lower(?2)) ORDER BY id`, list, addr)
	if err != nil {
		return nil, db.wrap(err, "read audit log")
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&at, &e.List, &e.Address, &e.Action, &e.OldStatus, &e.NewStatus, &e.Source, &e.Reason,
			&e.MessageID, &e.IP, &e.UserAgent, &e.Operator); err != nil {
			return nil, db.wrap(err, "read audit log")
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	return out, db.wrap(rows.Err(), "read audit log")
}

// PreviousStatus returns the status addr's membership of l had before
// its last change ("" when it was new, or never changed).
func (db *DB) PreviousStatus(ctx context.Context, l *List, addr string) (Status, error) {
	st, err := previousStatus(ctx, db.sql, l, addr)
	return st, db.wrap(err, "read audit log")
}
