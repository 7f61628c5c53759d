package optin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// OwnerStore is what an owner's changes need of the subscription store.
type OwnerStore interface {
	GetMember(ctx context.Context, l *store.List, addr string) (*store.Member, error)
	SetStatus(ctx context.Context, l *store.List, addr address.Address, to store.Status, ev store.Evidence) (store.Change, error)
}

// Owners applies an owner's changes to a list's members, which need no
// confirmation: the owner vouches for them, and the audit log says who did
// it (the evidence's Operator). Consent still rules: someone who left
// withdrew it, and only an owner who says they asked again (force) adds
// them back, on the record.
type Owners struct{ store OwnerStore }

// NewOwners returns the owners' side of the workflow on s.
func NewOwners(s OwnerStore) *Owners { return &Owners{store: s} }

// ErrConsentWithdrawn refuses to add back, without force, someone who
// unsubscribed (a fault.Conflict); OwnerChange.LeftAt says when they left.
var ErrConsentWithdrawn = errors.New("consent withdrawn")

// OwnerChange is what became of one address of a batch.
type OwnerChange struct {
	Input   string // as the owner gave it
	Address string // as stored, once known
	From    store.Status
	To      store.Status
	Changed bool
	LeftAt  time.Time // ErrConsentWithdrawn: when they left
	// Err is why this address was not changed: a bad address, someone
	// removed who was never a member, ErrConsentWithdrawn, or a move the
	// lifecycle forbids (a Conflict).
	Err error
}

// Add makes each address an active member of l at once, named name if
// given. One that unsubscribed is refused with ErrConsentWithdrawn unless
// force, and the audit log then says consent had been withdrawn. A bad
// address does not stop the batch; only a store failure does, returned
// with the changes made so far.
func (o *Owners) Add(ctx context.Context, l *store.List, addrs []string, name string, force bool, ev store.Evidence) ([]OwnerChange, error) {
	return o.each(ctx, l, addrs, func(raw string) (OwnerChange, error) {
		return o.one(ctx, l, raw, name, store.Active, force, ev)
	})
}

// Remove unsubscribes each address from l. The membership is kept, marked
// unsubscribed, so that the audit trail survives and a later import does
// not add the person back. Someone who never joined is refused (removing
// them would invent a membership); the batch goes on as in Add.
func (o *Owners) Remove(ctx context.Context, l *store.List, addrs []string, ev store.Evidence) ([]OwnerChange, error) {
	return o.each(ctx, l, addrs, func(raw string) (OwnerChange, error) {
		return o.one(ctx, l, raw, "", store.Unsubscribed, false, ev)
	})
}

func (o *Owners) each(ctx context.Context, l *store.List, addrs []string, one func(string) (OwnerChange, error)) ([]OwnerChange, error) {
	out := []OwnerChange{}
	for _, raw := range addrs {
		r, err := one(raw)
		if err != nil {
			return out, err // the database itself failed: stop
		}
		out = append(out, r)
	}
	return out, nil
}

// one applies a change to one address. Only store failures are returned;
// everything else is the result's Err.
func (o *Owners) one(ctx context.Context, l *store.List, raw, name string, to store.Status, force bool, ev store.Evidence) (OwnerChange, error) {
	res := OwnerChange{Input: raw, To: to}
	a, err := address.Parse(raw)
	if err == nil && name != "" {
		a.Name, err = address.ParseName(name)
	}
	if err != nil {
		res.Err = err
		return res, nil
	}
	res.Address = a.String()
	cur, err := o.store.GetMember(ctx, l, a.String())
	switch {
	case fault.CodeOf(err) == fault.NotFound && to == store.Unsubscribed:
		res.Err = err
		return res, nil
	case err != nil && fault.CodeOf(err) != fault.NotFound:
		return res, err
	}
	if err == nil && (cur.Status == store.Unsubscribed || cur.Status == store.Complained) && to == store.Active {
		// A spam complaint withdraws consent as an unsubscribe does, and
		// louder (Gmail's and Yahoo's 2024 bulk-sender rules).
		res.From, res.LeftAt = cur.Status, leftAt(cur)
		what := "unsubscribed from " + l.Name
		if cur.Status == store.Complained {
			what = "reported " + l.Name + "'s mail as spam"
		}
		if !force {
			res.Err = &fault.Error{Code: fault.Conflict, Err: ErrConsentWithdrawn,
				Message: fmt.Sprintf("%s %s on %s: they withdrew their consent", cur.Address, what, stamp(res.LeftAt))}
			return res, nil
		}
		// The audit log names the command's flag: that is how owners ask.
		ev.Reason += fmt.Sprintf("; re-added with --force although they had %s on %s (consent withdrawn then)", what, stamp(res.LeftAt))
	}
	ch, err := o.store.SetStatus(ctx, l, a, to, ev)
	if fault.CodeOf(err) == fault.Conflict {
		res.Err = err
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.Address, res.From, res.Changed = ch.Address, ch.From, ch.Changed()
	return res, nil
}

// leftAt is when a member unsubscribed (older rows only know when they
// last changed).
func leftAt(m *store.Member) time.Time {
	if m.UnsubscribedAt != nil {
		return *m.UnsubscribedAt
	}
	return m.UpdatedAt
}

// stamp is Stamp, with "-" for a time not known.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return Stamp(t)
}
