package optin

import (
	"context"
	"errors"
	"fmt"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// Confirmed is a used confirmation.
type Confirmed struct {
	*store.Confirmation
	// Again: the code had been used already and what it asked for still
	// holds: an MTA's retry of a confirmation whose answer failed, or a
	// second click.
	Again bool
}

// Confirm uses a code and makes the change it confirms. A bad or expired
// code is a fault.Invalid; a used one too, unless the change it made still
// holds, which is answered as done.
func (s *Service) Confirm(ctx context.Context, code string, ev store.Evidence) (Confirmed, error) {
	conf, _, err := s.store.ApplyConfirmation(ctx, code, func(c *store.Confirmation) store.Evidence {
		e := ev
		e.Reason = fmt.Sprintf("%s; requested by %s in %s", ev.Reason, c.RequestedBy, orNone(c.MessageID))
		return e
	})
	if err == nil {
		if s.o.Observer != nil {
			s.o.Observer.Confirmed(conf.ListName, conf.Action)
		}
		s.greet(ctx, conf)
		return Confirmed{Confirmation: conf}, nil
	}
	if !errors.Is(err, store.ErrTokenUsed) || conf == nil {
		return Confirmed{}, err
	}
	m, merr := s.store.GetMember(ctx, conf.List(), conf.Address)
	if merr != nil && fault.CodeOf(merr) != fault.NotFound {
		return Confirmed{}, merr
	}
	want := store.Active
	if conf.Action == "unsubscribe" {
		want = store.Unsubscribed
	}
	if merr == nil && m.Status == want {
		return Confirmed{Confirmation: conf, Again: true}, nil
	}
	return Confirmed{}, err
}

func orNone(s string) string {
	if s == "" {
		return "(no mail: the web form)"
	}
	return s
}

// Resubscribe undoes an unsubscribe for the holder of the member's
// unsubscribe token, which proves the address: a reader who left by
// mistake with that link is active again at once (see MayUndo). Any other
// way of having left — an owner's removal, bounces, a spam report, an
// unsubscribe confirmed by mail, an old link past the undo window — is
// not undone by the token: this then asks for a new subscription the
// address confirms, under the list's policy (a closed list refuses, a
// bounced, disabled or complained member is told to write to the owner).
func (s *Service) Resubscribe(ctx context.Context, l *store.List, m *store.Member, req Request) (Outcome, error) {
	a, err := address.Parse(m.Address)
	if err != nil {
		return Outcome{}, err
	}
	req.Self = true // the token holder is the address
	if m.Status == store.Active {
		return Outcome{Kind: AlreadySubscribed}, nil
	}
	undo, err := s.MayUndo(ctx, l, m)
	if err != nil {
		return Outcome{}, err
	}
	if undo {
		if _, err := s.store.SetStatus(ctx, l, a, store.Active, req.Evidence); err != nil {
			return Outcome{}, err
		}
		return Outcome{Kind: SubscribedNow}, nil
	}
	// req.Requester is the page, never the address: on an open list too
	// this asks the address to confirm.
	return s.Subscribe(ctx, l, a, req)
}
