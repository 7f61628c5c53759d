package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"mailer/internal/fault"
)

// The outgoing event webhooks' receivers, their queues and attempts
// (migration 0023). The events themselves are written by the database's
// triggers on memberships and sends, in the transaction of the change; this
// file reads them, records the attempts and queues the pings.

// Hook is a receiver of events.
type Hook struct {
	ID     int64    `json:"id"`
	URL    string   `json:"url"`
	Secret string   `json:"-"` // whsec_…: never printed but once, at `hooks add`
	Events []string `json:"events"`
	// List is the one list whose events the hook gets; "" for all.
	List           string     `json:"list,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	Queued         int        `json:"queued"` // events waiting for delivery
}

// HookEvent is one event queued for one hook, with the hook's address and
// key for its delivery.
type HookEvent struct {
	ID            int64          `json:"id"`
	HookID        int64          `json:"hook"`
	URL           string         `json:"-"`
	Secret        string         `json:"-"`
	Type          string         `json:"type"`
	Subject       string         `json:"-"`
	Payload       string         `json:"-"`
	CreatedAt     time.Time      `json:"created_at"`
	NextAttemptAt time.Time      `json:"next_attempt_at"`
	Attempts      int            `json:"attempts"`
	State         HookEventState `json:"state"`
}

// HookAttempt is one try at delivering an event.
type HookAttempt struct {
	EventID   int64         `json:"event"`
	EventType string        `json:"type"`
	At        time.Time     `json:"at"`
	Status    int           `json:"status,omitempty"` // the HTTP status; 0 when no answer came
	Error     string        `json:"error,omitempty"`
	Duration  time.Duration `json:"duration_ns"`
}

// NewHook is what `hooks add` stores.
type NewHook struct {
	URL, Secret string
	Events      []string
	List        *List    // nil: every list
	By          Evidence // who added it, for the audit log
}

// CreateHook stores a receiver; its events are queued from now on.
func (db *DB) CreateHook(ctx context.Context, h NewHook) (*Hook, error) {
	var listID sql.NullInt64
	name := ""
	if h.List != nil {
		listID, name = sql.NullInt64{Int64: h.List.ID, Valid: true}, h.List.Name
	}
	now := db.Now()
	var id int64
	err := db.sql.QueryRowContext(ctx, `INSERT INTO hooks (url, secret, events, list_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		h.URL, h.Secret, strings.Join(h.Events, ","), listID, formatTime(now)).Scan(&id)
	if err != nil {
		return nil, db.wrap(err, "add hook")
	}
	if err := db.auditHook(ctx, name, "hook added", id, withoutQuery(h.URL)+" ("+strings.Join(h.Events, ",")+")", h.By); err != nil {
		return nil, err
	}
	return &Hook{ID: id, URL: h.URL, Secret: h.Secret, Events: h.Events, List: name, CreatedAt: parseTime(formatTime(now))}, nil
}

const hookQuery = `SELECT h.id, h.url, h.secret, h.events, coalesce(l.name, ''), h.created_at, h.disabled_at, h.disabled_reason,
	(SELECT count(*) FROM hook_events e WHERE e.hook_id = h.id AND e.state = 'queued')
	FROM hooks h LEFT JOIN lists l ON l.id = h.list_id`

func scanHook(row interface{ Scan(...any) error }) (*Hook, error) {
	var h Hook
	var events, created string
	var disabled sql.NullString
	if err := row.Scan(&h.ID, &h.URL, &h.Secret, &events, &h.List, &created, &disabled, &h.DisabledReason, &h.Queued); err != nil {
		return nil, err
	}
	h.Events = strings.Split(events, ",")
	h.CreatedAt, h.DisabledAt = parseTime(created), parseNullTime(disabled)
	return &h, nil
}

// Hooks returns every receiver, oldest first.
func (db *DB) Hooks(ctx context.Context) ([]*Hook, error) {
	rows, err := db.sql.QueryContext(ctx, hookQuery+` ORDER BY h.id`)
	if err != nil {
		return nil, db.wrap(err, "read hooks")
	}
	defer rows.Close()
	var out []*Hook
	for rows.Next() {
		h, err := scanHook(rows)
		if err != nil {
			return nil, db.wrap(err, "read hooks")
		}
		out = append(out, h)
	}
	return out, db.wrap(rows.Err(), "read hooks")
}

// GetHook returns one receiver.
func (db *DB) GetHook(ctx context.Context, id int64) (*Hook, error) {
	h, err := scanHook(db.sql.QueryRowContext(ctx, hookQuery+` WHERE h.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.Errorf(fault.NotFound, "no hook #%d (see `mailer hooks ls`)", id)
	}
	return h, db.wrap(err, "read hook")
}

// DeleteHook removes a receiver with its queue and attempts.
func (db *DB) DeleteHook(ctx context.Context, id int64, ev Evidence) error {
	h, err := db.GetHook(ctx, id)
	if err != nil {
		return err
	}
	res, err := db.sql.ExecContext(ctx, `DELETE FROM hooks WHERE id = ?`, id)
	if err != nil {
		return db.wrap(err, "remove hook")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.Errorf(fault.NotFound, "no hook #%d (see `mailer hooks ls`)", id)
	}
	return db.auditHook(ctx, h.List, "hook removed", id, withoutQuery(h.URL), ev)
}

// auditHook records an owner's change of a hook in the audit log of its
// list ("" for a hook of every list); never its secret.
func (db *DB) auditHook(ctx context.Context, list, action string, id int64, what string, ev Evidence) error {
	if ev.Source == "" {
		ev.Source = SourceAdmin
	}
	reason := joinReason(fmt.Sprintf("hook #%d %s", id, what), ev.Reason)
	_, err := db.sql.ExecContext(ctx, `INSERT INTO audit_log (at, list_name, address, action, source, reason, ip, user_agent, operator)
		VALUES (?, ?, '', ?, ?, ?, ?, ?, ?)`, db.now(), list, action, ev.Source, reason, ev.IP, ev.UserAgent, ev.Operator)
	return db.wrap(err, "audit "+action)
}

// EnableHook lets a disabled receiver (410 Gone, or given up on) get
// events again, from now on: what was queued while it was disabled is
// not sent. ev says who, for the audit log.
func (db *DB) EnableHook(ctx context.Context, id int64, ev Evidence) error {
	h, err := db.GetHook(ctx, id)
	if err != nil {
		return err
	}
	res, err := db.sql.ExecContext(ctx, `UPDATE hooks SET disabled_at = NULL, disabled_reason = '' WHERE id = ? AND disabled_at IS NOT NULL`, id)
	if err != nil {
		return db.wrap(err, "enable hook")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.Errorf(fault.Conflict, "hook #%d is not disabled", id)
	}
	return db.auditHook(ctx, h.List, "hook enabled", id, withoutQuery(h.URL), ev)
}

// DisableHook stops a receiver's deliveries, with the reason; its events
// are no longer queued.
func (db *DB) DisableHook(ctx context.Context, id int64, reason string) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE hooks SET disabled_at = ?, disabled_reason = ? WHERE id = ? AND disabled_at IS NULL`,
		db.now(), reason, id)
	return db.wrap(err, "disable hook")
}

// withoutQuery is a hook's URL for the audit log: its query and fragment
// may carry the receiver's token.
func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}
