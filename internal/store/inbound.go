package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
)

// Confirmation is a pending request that the address itself must confirm.
type Confirmation struct {
	ID          int64
	ListID      int64
	ListName    string
	Address     string
	Action      string // subscribe | unsubscribe
	RequestedBy string
	MessageID   string
	Source      Source
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      *time.Time
}

// List is the list the confirmation is for, as far as the confirmation
// knows it (its id and name), for the member-level methods.
func (c *Confirmation) List() *List { return &List{ID: c.ListID, Name: c.ListName} }

// HashToken is how confirmation tokens are stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateConfirmation stores a confirmation for token, not yet sent: it
// counts, and blocks another request, only once ConfirmationSent says the
// transport took it.
func (db *DB) CreateConfirmation(ctx context.Context, token string, c Confirmation) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO confirmations (token_hash, list_id, address, address_key, action, requested_by, message_id, source, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, HashToken(token), c.ListID, c.Address, address.Key(c.Address), c.Action,
		c.RequestedBy, c.MessageID, c.Source, formatTime(c.CreatedAt), formatTime(c.ExpiresAt))
	return db.wrap(err, "store confirmation")
}

// ConfirmationSent records that the confirmation for token was handed over.
func (db *DB) ConfirmationSent(ctx context.Context, token string) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE confirmations SET sent_at = ? WHERE token_hash = ?`, db.now(), HashToken(token))
	return db.wrap(err, "record confirmation sent")
}

// DropConfirmation forgets a confirmation that could not be sent. One that
// was sent is kept whatever happens.
func (db *DB) DropConfirmation(ctx context.Context, token string) error {
	_, err := db.sql.ExecContext(ctx, `DELETE FROM confirmations WHERE token_hash = ? AND sent_at IS NULL`, HashToken(token))
	return db.wrap(err, "drop unsent confirmation")
}

// LastConfirmation returns when a confirmation of action still open (sent,
// not used, not expired) was last sent to addr for the list, or the zero
// time. It feeds the interval between two requests, which is there to stop
// strangers flooding an address with unanswered requests: a request that
// was answered or has lapsed must not stop a reader who left from coming
// back, and one never handed over does not count either.
func (db *DB) LastConfirmation(ctx context.Context, listID int64, addr, action string) (time.Time, error) {
	var at sql.NullString
	err := db.sql.QueryRowContext(ctx, `SELECT max(sent_at) FROM confirmations
		WHERE list_id = ? AND address_key = ? AND action = ? AND sent_at IS NOT NULL
		AND used_at IS NULL AND expires_at > ?`,
		listID, address.Key(addr), action, db.now()).Scan(&at)
	if err != nil || !at.Valid {
		return time.Time{}, db.wrap(err, "read confirmations")
	}
	return parseTime(at.String), nil
}

// Errors of ApplyConfirmation, wrapped in fault.Invalid.
var (
	ErrTokenUnknown = errors.New("unknown confirmation token")
	ErrTokenUsed    = errors.New("confirmation token already used")
	ErrTokenExpired = errors.New("confirmation token expired")
)

// ApplyConfirmation uses the confirmation for token and makes the change
// it confirms, in one transaction: the code is spent only if the change is
// made. A code works once, and not after it expired; for a used code the
// confirmation is returned with the ErrTokenUsed fault, so that a caller
// can tell a repeated confirmation from a stranger's guess. evidence
// describes the confirming act for the audit log.
func (db *DB) ApplyConfirmation(ctx context.Context, token string, evidence func(*Confirmation) Evidence) (*Confirmation, Change, error) {
	var c Confirmation
	var ch Change
	err := db.inTx(ctx, "use confirmation", func(tx *txn) error {
		if err := readConfirmation(ctx, tx, token, &c); err != nil {
			return err
		}
		if c.UsedAt != nil {
			return &fault.Error{Code: fault.Invalid, Err: ErrTokenUsed, Message: "this confirmation code was already used"}
		}
		if !db.Now().Before(c.ExpiresAt) {
			return &fault.Error{Code: fault.Invalid, Err: ErrTokenExpired, Message: "this confirmation code has expired; please ask again"}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE confirmations SET used_at = ? WHERE id = ?`, db.now(), c.ID); err != nil {
			return err
		}
		a, err := address.Parse(c.Address)
		if err != nil {
			return err
		}
		to := Active
		if c.Action == "unsubscribe" {
			to = Unsubscribed
		}
		w := newMemberWriter(ctx, tx, db.now())
		defer w.close()
		l := &List{ID: c.ListID, Name: c.ListName}
		id, stored, from, err := w.current(l, a)
		if err != nil {
			return err
		}
		if to == Active && (from == Bounced || from == Disabled) {
			// Stopped since the request: only an owner puts it back.
			return fault.Errorf(fault.Conflict, "mail to %s was stopped on %s (%s) since this was asked; please write to the list owner", stored, l.Name, from)
		}
		ch, err = w.move(l, id, stored, from, to, evidence(&c))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrTokenUsed) {
			return &c, ch, err
		}
		return nil, ch, err
	}
	return &c, ch, nil
}

func readConfirmation(ctx context.Context, tx *txn, token string, c *Confirmation) error {
	var created, expires string
	var used sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT c.id, c.list_id, l.name, c.address, c.action, c.requested_by, c.message_id, c.source, c.created_at, c.expires_at, c.used_at
		FROM confirmations c JOIN lists l ON l.id = c.list_id WHERE c.token_hash = ?`, HashToken(token)).
		Scan(&c.ID, &c.ListID, &c.ListName, &c.Address, &c.Action, &c.RequestedBy, &c.MessageID, &c.Source, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return &fault.Error{Code: fault.Invalid, Err: ErrTokenUnknown, Message: "this confirmation code is not valid (it may have been mistyped or cut short)"}
	}
	if err != nil {
		return err
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = parseTime(created), parseTime(expires), parseNullTime(used)
	return nil
}

// Budgets of the answer caps.
const (
	BudgetMail = "mail" // answers to mail commands, and what they ask to send
	BudgetWeb  = "web"  // confirmations asked for on the web form
)

// RecordReply notes a mail sent to addr from budget, for the answer caps.
func (db *DB) RecordReply(ctx context.Context, addr, budget string) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO replies (address_key, at, budget) VALUES (?, ?, ?)`, address.Key(addr), db.now(), budget)
	return db.wrap(err, "record reply")
}

// RepliesSince counts mails sent since t: to addr from any budget, or, with
// addr empty, to anyone from budget.
func (db *DB) RepliesSince(ctx context.Context, addr, budget string, t time.Time) (int, error) {
	var n int
	var err error
	if addr == "" {
		err = db.sql.QueryRowContext(ctx, `SELECT count(*) FROM replies WHERE budget = ? AND at >= ?`, budget, formatTime(t)).Scan(&n)
	} else {
		err = db.sql.QueryRowContext(ctx, `SELECT count(*) FROM replies WHERE address_key = ? AND at >= ?`, address.Key(addr), formatTime(t)).Scan(&n)
	}
	return n, db.wrap(err, "count replies")
}

// Bounce is a bounce message kept for bounce processing.
type Bounce struct {
	ListName, Recipient, Address, MessageID string
	Raw                                     []byte
}

// MaxBounceBytes is how much of a bounce is kept.
const MaxBounceBytes = 64 << 10

// StoreBounce keeps a bounce.
func (db *DB) StoreBounce(ctx context.Context, b Bounce) error {
	raw := b.Raw
	if len(raw) > MaxBounceBytes {
		raw = raw[:MaxBounceBytes]
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO bounces (list_name, recipient, address, received_at, message_id, raw) VALUES (?, ?, ?, ?, ?, ?)`,
		b.ListName, b.Recipient, b.Address, db.now(), b.MessageID, raw)
	return db.wrap(err, "store bounce")
}

// CountBounces returns how many bounces are stored for addr (all when empty).
func (db *DB) CountBounces(ctx context.Context, addr string) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM bounces WHERE ?1 = '' OR lower(address) = lower(?1)`, addr).Scan(&n)
	return n, db.wrap(err, "count bounces")
}

// Membership is one list an address belongs to, for the `which` command.
type Membership struct {
	List   string
	Title  string
	Status Status
}

// MembershipsOf lists addr's memberships that are pending or active.
func (db *DB) MembershipsOf(ctx context.Context, addr string) ([]Membership, error) {
	return db.memberships(ctx, addr, Active, Pending)
}

// MemberByID returns the membership a signed unsubscribe token names.
func (db *DB) MemberByID(ctx context.Context, listID, subscriberID int64) (*List, *Member, error) {
	var name string
	if err := db.sql.QueryRowContext(ctx, `SELECT name FROM lists WHERE id = ?`, listID).Scan(&name); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, fault.Errorf(fault.NotFound, "that list no longer exists")
		}
		return nil, nil, db.wrap(err, "read list")
	}
	l, err := db.GetList(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	m, err := scanMember(db.sql.QueryRowContext(ctx, memberQuery+` AND m.subscriber_id = ?`, listID, subscriberID))
	if errors.Is(err, sql.ErrNoRows) {
		return l, nil, fault.Errorf(fault.NotFound, "that address is not a member of %s", l.Name)
	}
	return l, m, db.wrap(err, "read member")
}
