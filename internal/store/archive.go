package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"mailer/internal/fault"
)

// ArchivedIssue is an issue in the public archive.
type ArchivedIssue struct {
	List    string
	Slug    string
	Title   string
	Summary string
	// Date is the issue's: its front matter's date, else when its send
	// finished. The archive is ordered by it.
	Date    time.Time
	HTML    string // the web page; only from ArchiveIssue
	Content string // the issue's HTML without the page, links absolute (for the feed)
}

// SaveArchive puts an issue in its list's archive, replacing an earlier
// copy (a --force resend keeps one entry, with the newest text).
func (db *DB) SaveArchive(ctx context.Context, listID int64, a ArchivedIssue) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO archive (list_id, slug, title, summary, sent_at, html, content) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (list_id, slug) DO UPDATE SET title = excluded.title, summary = excluded.summary, sent_at = excluded.sent_at,
		html = excluded.html, content = excluded.content`,
		listID, a.Slug, a.Title, a.Summary, formatTime(a.Date), a.HTML, a.Content)
	return db.wrap(err, "save archive")
}

// Archive lists a list's archived issues (all lists when l is nil),
// newest first, with their content but without their pages.
func (db *DB) Archive(ctx context.Context, l *List) ([]ArchivedIssue, error) {
	var list int64
	if l != nil {
		list = l.ID
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT l.name, a.slug, a.title, a.summary, a.sent_at, a.content FROM archive a JOIN lists l ON l.id = a.list_id
		WHERE ?1 = 0 OR l.id = ?1 ORDER BY a.sent_at DESC, a.id DESC`, list)
	if err != nil {
		return nil, db.wrap(err, "read archive")
	}
	defer rows.Close()
	var out []ArchivedIssue
	for rows.Next() {
		var a ArchivedIssue
		var at string
		if err := rows.Scan(&a.List, &a.Slug, &a.Title, &a.Summary, &at, &a.Content); err != nil {
			return nil, db.wrap(err, "read archive")
		}
		a.Date = parseTime(at)
		out = append(out, a)
	}
	return out, db.wrap(rows.Err(), "read archive")
}

// ArchiveIssue returns one archived issue with its HTML.
func (db *DB) ArchiveIssue(ctx context.Context, l *List, slug string) (*ArchivedIssue, error) {
	var a ArchivedIssue
	var at string
	err := db.sql.QueryRowContext(ctx, `SELECT l.name, a.slug, a.title, a.summary, a.sent_at, a.html FROM archive a JOIN lists l ON l.id = a.list_id
		WHERE a.list_id = ? AND a.slug = ?`, l.ID, slug).Scan(&a.List, &a.Slug, &a.Title, &a.Summary, &at, &a.HTML)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.Errorf(fault.NotFound, "no issue %s in the archive of %s", slug, l.Name)
	}
	a.Date = parseTime(at)
	return &a, db.wrap(err, "read archive")
}

// PeekConfirmation returns the confirmation for token without using it,
// for a page that asks before it acts. Unknown, used and expired tokens
// are the same faults ApplyConfirmation returns.
func (db *DB) PeekConfirmation(ctx context.Context, token string) (*Confirmation, error) {
	var c Confirmation
	var created, expires string
	var used sql.NullString
	err := db.sql.QueryRowContext(ctx, `SELECT c.id, c.list_id, l.name, c.address, c.action, c.requested_by, c.created_at, c.expires_at, c.used_at
		FROM confirmations c JOIN lists l ON l.id = c.list_id WHERE c.token_hash = ?`, HashToken(token)).
		Scan(&c.ID, &c.ListID, &c.ListName, &c.Address, &c.Action, &c.RequestedBy, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &fault.Error{Code: fault.Invalid, Err: ErrTokenUnknown, Message: "this confirmation code is not valid (it may have been mistyped or cut short)"}
	}
	if err != nil {
		return nil, db.wrap(err, "read confirmation")
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = parseTime(created), parseTime(expires), parseNullTime(used)
	switch {
	case c.UsedAt != nil:
		return &c, &fault.Error{Code: fault.Invalid, Err: ErrTokenUsed, Message: "this confirmation code was already used"}
	case !db.Now().Before(c.ExpiresAt):
		return &c, &fault.Error{Code: fault.Invalid, Err: ErrTokenExpired, Message: "this confirmation code has expired; please ask again"}
	}
	return &c, nil
}

// Ping checks that the database answers, for health checks.
func (db *DB) Ping(ctx context.Context) error {
	return db.wrap(db.sql.PingContext(ctx), "ping database")
}
