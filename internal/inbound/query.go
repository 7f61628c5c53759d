package inbound

// The commands that read what the store holds: which, who, lists. Only
// the asker's own address may learn its memberships.

import (
	"fmt"

	"mailer/internal/address"
	"mailer/internal/store"
)

// answersFrom says whether the answer goes to the From address, which
// "which" and "who" require: a From line can be forged, and an answer to
// a Reply-To elsewhere would hand a stranger what only From may know.
func (s *session) answersFrom(c Command) bool {
	if address.Key(s.to.String()) == address.Key(s.m.From.String()) {
		return true
	}
	s.add(c.Raw, "reply-to-elsewhere", resultData{Extra: s.to.String()})
	return false
}

func (s *session) which(c Command) error {
	a := s.m.From
	if c.Address != "" {
		var ok bool
		if a, ok = s.target(c); !ok {
			return nil
		}
		// Who is on which list is the reader's own business.
		if address.Key(a.String()) != address.Key(s.m.From.String()) {
			s.add(c.Raw, "which-other", resultData{})
			return nil
		}
	}
	if !s.answersFrom(c) {
		return nil
	}
	ms, err := s.h.store.MembershipsOf(s.ctx, a.String())
	if err != nil {
		return err
	}
	var items []string
	for _, m := range ms {
		items = append(items, fmt.Sprintf("%s (%s)", m.List, m.Status))
	}
	s.add(c.Raw, "which", resultData{Address: a.String(), Items: items})
	return nil
}

// who lists the members, for owners only, and only to the owner's From.
func (s *session) who(c Command, l *store.List) error {
	if !l.IsOwner(s.m.From.String()) {
		s.add(c.Raw, "who-refused", resultData{List: l.Name})
		return nil
	}
	if !s.answersFrom(c) {
		return nil
	}
	var items []string
	for m, err := range s.h.store.Members(s.ctx, l, store.Active) {
		if err != nil {
			return err
		}
		items = append(items, m.Address)
	}
	s.add(c.Raw, "who", resultData{List: l.Name, Items: items})
	return nil
}

func (s *session) lists(c Command) error {
	ls, err := s.h.store.Lists(s.ctx)
	if err != nil {
		return err
	}
	var items []string
	for _, l := range ls {
		if l.Policy == store.PolicyClosed {
			continue
		}
		items = append(items, fmt.Sprintf("%-24s %s", l.Name, l.Title))
	}
	s.add(c.Raw, "lists", resultData{Items: items})
	return nil
}
