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

// bounce hands a bounce, or a spam complaint (an ARF report, RFC 5965),
// to the bounce service: whether it came to LIST-bounces@ (VERP or not),
// the site's mailer-bounces@ or the complaints@ address owners register
// with the feedback loops. The service tells the two apart. Neither is
// ever answered: the answer would go to a robot, or to a reader who just
// said our mail is unwanted.
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
