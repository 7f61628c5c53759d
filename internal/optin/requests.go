package optin

import (
	"context"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/mailout"
	"mailer/internal/store"
)

// Kind names what a request did. The names are those of the answers in
// templates/inbound/results.tmpl.
type Kind string

// Outcomes of Subscribe and Unsubscribe.
const (
	ConfirmationSent            Kind = "confirmation-sent"
	UnsubscribeConfirmationSent Kind = "unsubscribe-confirmation-sent"
	ConfirmationRecent          Kind = "confirmation-recent"
	AlreadySubscribed           Kind = "already-subscribed"
	NotSubscribed               Kind = "not-subscribed"
	SubscribedNow               Kind = "subscribed"
	ListClosed                  Kind = "closed"
	Blocked                     Kind = "blocked"
	// CannotSend: an answer cap is reached; nothing was changed or sent.
	CannotSend Kind = "cannot-send"
	// SubscribeRequested and UnsubscribeRequested are what a request about
	// someone else's address is told, whatever that address's state.
	SubscribeRequested   Kind = "subscribe-requested"
	UnsubscribeRequested Kind = "unsubscribe-requested"
)

// Outcome is what a request did.
type Outcome struct {
	Kind   Kind
	Last   time.Time // ConfirmationRecent: when the last one was sent
	Detail string    // Blocked: why; CannotSend: which cap
}

// Subscribe asks for a to join l. A closed list refuses; an open list takes
// an address that asks for itself at once; otherwise a confirmation goes to
// a (at most one per Interval), and a becomes pending once it was sent.
func (s *Service) Subscribe(ctx context.Context, l *store.List, a address.Address, req Request) (Outcome, error) {
	if l.Policy == store.PolicyClosed {
		return Outcome{Kind: ListClosed}, nil
	}
	out, err := s.subscribe(ctx, l, a, req)
	return s.told(out, req, SubscribeRequested), err
}

func (s *Service) subscribe(ctx context.Context, l *store.List, a address.Address, req Request) (Outcome, error) {
	// The caps first: their answer then says nothing about a's state.
	if out, err := s.room(ctx, a, req); out.Kind != "" || err != nil {
		return out, err
	}
	cur, err := s.store.GetMember(ctx, l, a.String())
	switch {
	case err == nil && cur.Status == store.Active:
		return Outcome{Kind: AlreadySubscribed}, nil
	case err == nil && (cur.Status == store.Bounced || cur.Status == store.Disabled):
		return Outcome{Kind: Blocked, Detail: string(cur.Status)}, nil
	case err != nil && fault.CodeOf(err) != fault.NotFound:
		return Outcome{}, err
	}
	if l.Policy == store.PolicyOpen && address.Key(a.String()) == address.Key(req.Requester) {
		ev := req.Evidence
		ev.Reason += " (open list)"
		if _, err := s.store.SetStatus(ctx, l, a, store.Active, ev); err != nil {
			return Outcome{}, err
		}
		s.greet(ctx, &store.Confirmation{ListName: l.Name, Address: a.String(), Action: "subscribe"})
		return Outcome{Kind: SubscribedNow}, nil
	}
	if last, err := s.recent(ctx, l, a, "subscribe"); err != nil || !last.IsZero() {
		return Outcome{Kind: ConfirmationRecent, Last: last}, err
	}
	if out, err := s.sendConfirmation(ctx, l, a, "subscribe", req); out.Kind != "" || err != nil {
		return out, err
	}
	// Sent: only now is the address pending. Should this fail, the MTA's
	// retry finds the confirmation sent and says so; the code works anyway.
	if _, err := s.store.SetStatus(ctx, l, a, store.Pending, req.Evidence); err != nil && fault.CodeOf(err) != fault.Conflict {
		return Outcome{}, err
	}
	return Outcome{Kind: ConfirmationSent}, nil
}

// Unsubscribe asks for a to leave l: a confirmation goes to a, which stays
// a member until it answers.
func (s *Service) Unsubscribe(ctx context.Context, l *store.List, a address.Address, req Request) (Outcome, error) {
	out, err := s.unsubscribe(ctx, l, a, req)
	return s.told(out, req, UnsubscribeRequested), err
}

func (s *Service) unsubscribe(ctx context.Context, l *store.List, a address.Address, req Request) (Outcome, error) {
	if out, err := s.room(ctx, a, req); out.Kind != "" || err != nil {
		return out, err
	}
	cur, err := s.store.GetMember(ctx, l, a.String())
	if err != nil && fault.CodeOf(err) != fault.NotFound {
		return Outcome{}, err
	}
	if err != nil || (cur.Status != store.Active && cur.Status != store.Pending) {
		return Outcome{Kind: NotSubscribed}, nil
	}
	if last, err := s.recent(ctx, l, a, "unsubscribe"); err != nil || !last.IsZero() {
		return Outcome{Kind: ConfirmationRecent, Last: last}, err
	}
	if out, err := s.sendConfirmation(ctx, l, a, "unsubscribe", req); out.Kind != "" || err != nil {
		return out, err
	}
	return Outcome{Kind: UnsubscribeConfirmationSent}, nil
}

// told is the outcome as the asker may hear it: the truth about an address
// goes only to that address. A closed list or a reached cap is no secret
// of the address.
func (s *Service) told(out Outcome, req Request, neutral Kind) Outcome {
	if req.Self || out.Kind == "" || out.Kind == ListClosed || out.Kind == CannotSend {
		return out
	}
	return Outcome{Kind: neutral}
}

// room turns a reached cap into the CannotSend outcome.
func (s *Service) room(ctx context.Context, a address.Address, req Request) (Outcome, error) {
	err := s.mail.Room(ctx, req.Budget, a.String())
	if mailout.Capped(err) {
		return Outcome{Kind: CannotSend, Detail: err.Error()}, nil
	}
	return Outcome{}, err
}

// recent returns when the last confirmation of action went to a for l if
// that was within Interval, else the zero time.
func (s *Service) recent(ctx context.Context, l *store.List, a address.Address, action string) (time.Time, error) {
	last, err := s.store.LastConfirmation(ctx, l.ID, a.String(), action)
	if err != nil || last.IsZero() || s.o.Now().Sub(last) >= s.o.Interval {
		return time.Time{}, err
	}
	return last, nil
}
