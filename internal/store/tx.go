package store

import (
	"context"
	"database/sql"
	"errors"

	"mailer/internal/address"
	"mailer/internal/fault"
)

// querier is what both the pool and a transaction answer, so that a read
// runs alike on its own or as a step of a workflow's transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// Tx is one write transaction holding the member-level steps of a
// workflow (reactivate a member and clear its bounce score, confirm and
// welcome, import a file), so that either all of them happen or none. It
// lives only inside the function given to Update.
type Tx struct {
	db *DB
	t  *txn
	w  *memberWriter // made on the first membership change
}

// Update runs fn in one write transaction, committed when fn returns nil
// and rolled back otherwise. On PostgreSQL a transaction that lost a
// serialization conflict runs fn again from the start, so fn must not have
// effects outside the transaction. what names the work in errors.
func (db *DB) Update(ctx context.Context, what string, fn func(tx *Tx) error) error {
	return db.inTx(ctx, what, func(t *txn) error {
		tx := &Tx{db: db, t: t}
		defer tx.close()
		return fn(tx)
	})
}

func (tx *Tx) close() {
	if tx.w != nil {
		tx.w.close()
	}
}

func (tx *Tx) writer(ctx context.Context) *memberWriter {
	if tx.w == nil {
		tx.w = newMemberWriter(ctx, tx.t, tx.db.now())
	}
	return tx.w
}

// SetStatus is DB.SetStatus inside the transaction.
func (tx *Tx) SetStatus(ctx context.Context, l *List, addr address.Address, to Status, ev Evidence) (Change, error) {
	return tx.writer(ctx).set(l, addr, to, ev)
}

// GetMember is DB.GetMember inside the transaction.
func (tx *Tx) GetMember(ctx context.Context, l *List, addr string) (*Member, error) {
	return getMember(ctx, tx.t, l, addr)
}

// PreviousStatus is DB.PreviousStatus inside the transaction.
func (tx *Tx) PreviousStatus(ctx context.Context, l *List, addr string) (Status, error) {
	return previousStatus(ctx, tx.t, l, addr)
}

// ResetBounces is DB.ResetBounces inside the transaction.
func (tx *Tx) ResetBounces(ctx context.Context, l *List, addr string) error {
	return resetBounces(ctx, tx.t, l, addr)
}

func getMember(ctx context.Context, q querier, l *List, addr string) (*Member, error) {
	m, err := scanMember(q.QueryRowContext(ctx, memberQuery+` AND s.address_key = ?`, l.ID, address.Key(addr)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.Errorf(fault.NotFound, "%s is not a member of %s", addr, l.Name)
	}
	return m, err
}

func previousStatus(ctx context.Context, q querier, l *List, addr string) (Status, error) {
	var st Status
	err := q.QueryRowContext(ctx, `SELECT old_status FROM audit_log WHERE lower(address) = lower(?) AND list_name = ?
		ORDER BY id DESC LIMIT 1`, addr, l.Name).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return st, err
}

func resetBounces(ctx context.Context, t *txn, l *List, addr string) error {
	_, err := t.ExecContext(ctx, `UPDATE memberships SET bounce_score = 0, bounce_first_at = NULL, bounce_last_at = NULL, bounce_last_reason = ''
		WHERE list_id = ? AND subscriber_id = (SELECT id FROM subscribers WHERE address_key = ?)`, l.ID, address.Key(addr))
	return err
}
