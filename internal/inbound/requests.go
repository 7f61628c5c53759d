package inbound

import (
	"context"
	"fmt"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// Request is where a subscription request came from: a mail or a web form.
type Request struct {
	Requester  string // the address that asked, shown in the confirmation
	MessageID  string // the mail that asked, if any
	References string
	Evidence   store.Evidence
}

// OutcomeKind names what a subscription request did. The names are those
// of the answer templates in templates/inbound/results.tmpl.
type OutcomeKind string

// Outcomes of RequestSubscription.
const (
	ConfirmationSent   OutcomeKind = "confirmation-sent"
	ConfirmationRecent OutcomeKind = "confirmation-recent"
	AlreadySubscribed  OutcomeKind = "already-subscribed"
	SubscribedNow      OutcomeKind = "subscribed"
	ListClosed         OutcomeKind = "closed"
	Blocked            OutcomeKind = "blocked"
)

// SubscribeOutcome is the result of RequestSubscription.
type SubscribeOutcome struct {
	Kind   OutcomeKind
	Last   time.Time // ConfirmationRecent: when the last one was sent
	Detail string    // Blocked: why
}

// RequestSubscription asks for a to join l, for mail commands and the web
// form alike: a closed list refuses, an open list takes a requester who
// subscribes itself at once, and otherwise the address becomes pending and
// is sent a confirmation request (at most one per ConfirmInterval).
func (h *Handler) RequestSubscription(ctx context.Context, l *store.List, a address.Address, req Request) (SubscribeOutcome, error) {
	if l.Policy == store.PolicyClosed {
		return SubscribeOutcome{Kind: ListClosed}, nil
	}
	cur, err := h.store.GetMember(ctx, l.Name, a.String())
	switch {
	case err == nil && cur.Status == store.Active:
		return SubscribeOutcome{Kind: AlreadySubscribed}, nil
	case err == nil && (cur.Status == store.Bounced || cur.Status == store.Disabled):
		return SubscribeOutcome{Kind: Blocked, Detail: string(cur.Status)}, nil
	case err != nil && fault.CodeOf(err) != fault.NotFound:
		return SubscribeOutcome{}, err
	}
	if l.Policy == store.PolicyOpen && address.Key(a.String()) == address.Key(req.Requester) {
		ev := req.Evidence
		ev.Reason += " (open list)"
		if _, err := h.store.SetStatus(ctx, l.Name, a, store.Active, ev); err != nil {
			return SubscribeOutcome{}, err
		}
		return SubscribeOutcome{Kind: SubscribedNow}, nil
	}
	last, err := h.confirmationDue(ctx, l, a, "subscribe")
	if err != nil {
		return SubscribeOutcome{}, err
	}
	if !last.IsZero() {
		return SubscribeOutcome{Kind: ConfirmationRecent, Last: last}, nil
	}
	if _, err := h.store.SetStatus(ctx, l.Name, a, store.Pending, req.Evidence); err != nil {
		if fault.CodeOf(err) == fault.Conflict {
			return SubscribeOutcome{Kind: Blocked, Detail: err.Error()}, nil
		}
		return SubscribeOutcome{}, err
	}
	if err := h.sendConfirmation(ctx, l, a, "subscribe", req); err != nil {
		return SubscribeOutcome{}, err
	}
	return SubscribeOutcome{Kind: ConfirmationSent}, nil
}

// confirmationDue returns when the last confirmation of action went to a
// for l if that was within ConfirmInterval, else the zero time.
func (h *Handler) confirmationDue(ctx context.Context, l *store.List, a address.Address, action string) (time.Time, error) {
	last, err := h.store.LastConfirmation(ctx, l.ID, a.String(), action)
	if err != nil || last.IsZero() || h.o.Now().Sub(last) >= h.o.ConfirmInterval {
		return time.Time{}, err
	}
	return last, nil
}

// Confirm uses a confirmation code and applies what it confirms. A bad,
// used or expired code is a fault.Invalid.
func (h *Handler) Confirm(ctx context.Context, code string, ev store.Evidence) (*store.Confirmation, error) {
	conf, err := h.store.UseConfirmation(ctx, code)
	if err != nil {
		return nil, err
	}
	a, err := address.Parse(conf.Address)
	if err != nil {
		return nil, err
	}
	to := store.Active
	if conf.Action == "unsubscribe" {
		to = store.Unsubscribed
	}
	ev.Reason = fmt.Sprintf("%s; requested by %s in %s", ev.Reason, conf.RequestedBy, orNone(conf.MessageID))
	if _, err := h.store.SetStatus(ctx, conf.ListName, a, to, ev); err != nil {
		return nil, err
	}
	return conf, nil
}

func orNone(s string) string {
	if s == "" {
		return "(no mail: the web form)"
	}
	return s
}
