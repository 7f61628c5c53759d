package inbound

import (
	"context"
	"strings"

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

// headerValue finds a header in raw mail without parsing the rest, for
// bounces that may not parse.
func headerValue(raw []byte, name string) string {
	if msg, err := readHeader(raw); err == nil {
		return strings.TrimSpace(msg.header.Get(name))
	}
	return ""
}
