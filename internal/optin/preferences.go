package optin

import (
	"context"
	"slices"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// The preference page: a link of any list proves the address (its token
// names one membership, and so the subscriber), so it may see every list
// of this site the address is on and leave any or all of them at once,
// with the guarantees of the one-click unsubscribe: no login, no
// confirmation, nothing asked twice, the same evidence in the audit log.

// Preferences are the address a link proves and where it stands on every
// list of this site.
type Preferences struct {
	Address string
	Lists   []store.Membership
}

// Preferences reads the standing of the link's address.
func (s *Service) Preferences(ctx context.Context, k Link) (Preferences, error) {
	_, m, err := s.Holder(ctx, k)
	if err != nil {
		return Preferences{}, err
	}
	ls, err := s.store.StandingOf(ctx, m.Address)
	return Preferences{Address: m.Address, Lists: ls}, err
}

// Leaving says whether a member of this status is mailed, and so has
// something to leave: the active, and the pending, whose confirmation
// would otherwise still let them in. Bounced, complained and disabled
// members are not mailed, and keep their status (a complaint must never
// turn into a plain unsubscribe that a new subscription could undo).
func Leaving(st store.Status) bool { return st == store.Active || st == store.Pending }

// LeaveLists makes the link's address leave each of lists it is mailed on
// (all of them when all is set), at once, and returns the lists it left.
// A list it is not mailed on is skipped, so asking twice is harmless.
func (s *Service) LeaveLists(ctx context.Context, k Link, lists []string, all bool, ev store.Evidence) ([]string, error) {
	p, err := s.Preferences(ctx, k)
	if err != nil {
		return nil, err
	}
	a, err := address.Parse(p.Address)
	if err != nil {
		return nil, err
	}
	ev.Reason += tokenMark
	var left []string
	for _, m := range p.Lists {
		if !Leaving(m.Status) || !all && !slices.Contains(lists, m.List) {
			continue
		}
		l, err := s.store.GetList(ctx, m.List)
		if err != nil {
			return left, err
		}
		switch _, err = s.store.SetStatus(ctx, l, a, store.Unsubscribed, ev); {
		case fault.CodeOf(err) == fault.Conflict:
			continue // its status changed meanwhile to one that is not mailed
		case err != nil:
			return left, err
		}
		left = append(left, m.List)
	}
	return left, nil
}
