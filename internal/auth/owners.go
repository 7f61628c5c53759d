package auth

import (
	"context"
	"slices"
	"strings"
	"time"

	"mailer/internal/address"
	"mailer/internal/store"
)

// Owner is a person who may use the console, as `owners ls` shows them:
// everyone with a login, every list's owner and the site owner.
type Owner struct {
	Address   string     `json:"address"`
	Admin     bool       `json:"admin"`
	Lists     []string   `json:"lists"`
	Login     bool       `json:"login"` // has a console password
	LastLogin *time.Time `json:"last_login,omitempty"`
}

// Owners returns every owner, by address.
func (s *Service) Owners(ctx context.Context) ([]Owner, error) {
	accounts, err := s.db.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	lists, err := s.db.Lists(ctx)
	if err != nil {
		return nil, err
	}
	byKey := map[string]*Owner{}
	get := func(key string) *Owner {
		if o, ok := byKey[key]; ok {
			return o
		}
		o := &Owner{Address: key, Lists: []string{}, Admin: key == s.owner}
		byKey[key] = o
		return o
	}
	if s.owner != "" {
		get(s.owner)
	}
	for _, a := range accounts {
		o := get(a.Email)
		o.Login, o.LastLogin, o.Admin = true, a.LastLogin, o.Admin || a.Admin
	}
	for _, l := range lists {
		for _, addr := range l.Owners {
			o := get(address.Key(addr))
			o.Lists = append(o.Lists, l.Name)
		}
	}
	out := make([]Owner, 0, len(byKey))
	for _, o := range byKey {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b Owner) int { return strings.Compare(a.Address, b.Address) })
	return out, nil
}

// RemoveOwner removes email's console login and ends its sessions. The
// lists it owns keep it as their owner (`lists edit --owner` changes
// that), but without a password it can no longer log in.
func (s *Service) RemoveOwner(ctx context.Context, email string, ev store.Evidence) error {
	return s.db.DeleteAccount(ctx, address.Key(email), ev)
}

// Compile-time check that the store is what the Service needs.
var _ Store = (*store.DB)(nil)
