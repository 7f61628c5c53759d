package inbound

import (
	"context"
	"errors"

	"mailer/internal/fault"
	"mailer/internal/listaddr"
	"mailer/internal/optin"
	"mailer/internal/store"
)

// tokenUnsubscribe acts on the List-Unsubscribe mailto: the signed token
// names the membership, so it unsubscribes at once and sends no answer.
func (h *Handler) tokenUnsubscribe(ctx context.Context, route listaddr.Route, m *Message) (Result, error) {
	left, err := h.p.Subs.Leave(ctx, optin.Link{Token: route.Token, List: route.List}, store.Evidence{Source: store.SourceEmail,
		MessageID: m.MessageID, Reason: "List-Unsubscribe mailto (signed token), sent by " + m.From.String()})
	switch {
	case errors.Is(err, optin.BadToken):
		return Result{Outcome: Dropped, Detail: "invalid unsubscribe token"}, nil
	case errors.Is(err, optin.NoMember) || errors.Is(err, optin.OtherList):
		return Result{Outcome: Dropped, Detail: "unsubscribe token for another list or member"}, nil
	case left.Member == nil:
		return Result{}, err
	case left.Already:
		return Result{Outcome: Acted, Detail: left.Address.String() + " was already unsubscribed"}, nil
	case fault.CodeOf(err) == fault.Conflict:
		return Result{Outcome: Acted, Detail: err.Error()}, nil
	}
	return Result{Outcome: Acted, Detail: "unsubscribed " + left.Address.String() + " from " + left.List.Name}, err
}
