package store

import (
	"context"
	"database/sql"
	"errors"
)

// nameWriter updates the names of members an import names differently:
// the file is the owner's word on what their readers are called (a
// subscriber's own later change comes after it, and wins the same way).
type nameWriter struct {
	ctx         context.Context
	get, update *sql.Stmt
}

func newNameWriter(ctx context.Context, tx *txn) (*nameWriter, error) {
	get, err := tx.PrepareContext(ctx, `SELECT s.name FROM subscribers s JOIN memberships m ON m.subscriber_id = s.id
		WHERE m.list_id = ? AND s.address_key = ?`)
	if err != nil {
		return nil, err
	}
	update, err := tx.PrepareContext(ctx, `UPDATE subscribers SET name = ? WHERE address_key = ?`)
	if err != nil {
		get.Close()
		return nil, err
	}
	return &nameWriter{ctx: ctx, get: get, update: update}, nil
}

func (n *nameWriter) close() {
	n.get.Close()
	n.update.Close()
}

// rename gives an existing member of l the row's name, if it names one
// and it differs, and records it in the audit log. Someone who is not a
// member of l is left to the import (their name fills an empty one).
func (n *nameWriter) rename(w *memberWriter, l *List, r ImportRow, ev Evidence, rep *ImportReport) error {
	if r.Address.Name == "" {
		return nil
	}
	var old string
	err := n.get.QueryRowContext(n.ctx, l.ID, r.Address.Key()).Scan(&old)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && old == r.Address.Name) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := n.update.ExecContext(n.ctx, r.Address.Name, r.Address.Key()); err != nil {
		return err
	}
	rep.Renamed++
	reason := ev.Reason + ": name " + quoteName(old) + " → " + quoteName(r.Address.Name)
	_, err = w.audit.ExecContext(w.ctx, w.now, l.Name, r.Address.String(), "renamed", "", "", ev.Source, reason,
		ev.MessageID, ev.IP, ev.UserAgent, ev.Operator)
	return err
}

func quoteName(s string) string {
	if s == "" {
		return "(none)"
	}
	return `"` + s + `"`
}
