package bounces

import (
	"context"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// Updater runs a workflow's steps in one transaction (package store).
type Updater interface {
	Update(ctx context.Context, what string, fn func(tx *store.Tx) error) error
}

// Reactivatable says whether a member of status st may be reactivated:
// only one whose mail was stopped, by bounces or by an owner. A member who
// left, or never confirmed, gave no consent that an owner's reactivation
// could stand in for.
func Reactivatable(st store.Status) bool {
	return st == store.Bounced || st == store.Disabled
}

// Reactivate resumes mail to a member whose mail was stopped, by bounces or
// by an owner, and clears its bounce score, in one transaction: a member
// is never active with the score that stopped it, nor cleared and still
// stopped. Nobody else is touched (Reactivatable): the refusal is a
// fault.Conflict and changes nothing.
func Reactivate(ctx context.Context, db Updater, l *store.List, addr string, ev store.Evidence) (*store.Member, error) {
	a, err := address.Parse(addr)
	if err != nil {
		return nil, err
	}
	var m *store.Member
	err = db.Update(ctx, "reactivate "+a.String(), func(tx *store.Tx) error {
		m, err = tx.GetMember(ctx, l, a.String())
		if err != nil {
			return err
		}
		if !Reactivatable(m.Status) {
			return fault.Errorf(fault.Conflict, "%s is %s on %s: only bounced or disabled members are reactivated", m.Address, m.Status, l.Name)
		}
		if _, err := tx.SetStatus(ctx, l, a, store.Active, ev); err != nil {
			return err
		}
		return tx.ResetBounces(ctx, l, a.String())
	})
	return m, err
}

// Row is one membership's bounce record as `mailer bounces ls` and the
// API show it: the list, the address, its status, the score and when and
// why it last bounced.
type Row = store.BounceInfo

// Lister reads bounce records (package store).
type Lister interface {
	Bounces(ctx context.Context, l *store.List) ([]store.BounceInfo, error)
}

// Listing is the memberships an owner has to look at: those with a bounce
// score, or stopped by bounces even once the score was cleared by hand, on
// l (nil: every list), highest score first. Never nil, so that JSON shows
// an empty list as [].
func Listing(ctx context.Context, db Lister, l *store.List) ([]Row, error) {
	rows, err := db.Bounces(ctx, l)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []Row{}
	}
	return rows, nil
}
