package inbound

import (
	"context"

	"mailer/internal/bounces"
	"mailer/internal/listaddr"
)

// Bounces is the bounce service (package bounces).
type Bounces interface {
	Handle(ctx context.Context, m bounces.Message) ([]bounces.Scored, string, error)
}

// bounce hands a bounce to the bounce service. Bounces are never answered.
func (h *Handler) bounce(ctx context.Context, route listaddr.Route, rcpt string, raw []byte) (Result, error) {
	_, detail, err := h.p.Bounces.Handle(ctx, bounces.Message{List: route.List, Recipient: rcpt, VERP: route.VERP,
		MessageID: headerValue(raw, "Message-Id"), Raw: raw})
	if err != nil {
		return Result{}, err
	}
	return Result{Outcome: BounceStored, Detail: detail}, nil
}
