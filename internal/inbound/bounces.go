package inbound

import (
	"context"
	"strings"

	"mailer/internal/bounces"
)

// Bounces is the bounce service (package bounces).
type Bounces interface {
	Handle(ctx context.Context, m bounces.Message) ([]bounces.Scored, string, error)
}

// bounce hands a bounce to the bounce service. Bounces are never answered.
func (h *Handler) bounce(ctx context.Context, route Route, rcpt string, raw []byte) (Result, error) {
	_, detail, err := h.bounces.Handle(ctx, bounces.Message{List: route.List, Recipient: rcpt, VERP: route.VERP,
		MessageID: headerValue(raw, "Message-Id"), Raw: raw})
	if err != nil {
		return Result{}, err
	}
	return Result{Outcome: BounceStored, Detail: detail}, nil
}

// NotifyBounced tells a list's owners that bounces stopped mail to addr.
func (h *Handler) NotifyBounced(ctx context.Context, list, addr string, score float64, reason string) error {
	if !h.o.NotifyOwner {
		return nil
	}
	l, err := h.store.GetList(ctx, list)
	if err != nil {
		return err
	}
	owners := l.Owners
	if len(owners) == 0 && h.o.Owner != "" {
		owners = []string{h.o.Owner}
	}
	var body strings.Builder
	if err := h.notice.Execute(&body, map[string]any{"Address": addr, "Title": l.Title, "List": l.Name, "Score": score,
		"Threshold": h.o.Bounces.Threshold, "Reason": reason, "Host": h.o.ListHost}); err != nil {
		return err
	}
	for _, o := range owners {
		msg, err := h.compose(mailHeader{from: h.listFrom(l), to: o, subject: "Bounces stopped mail to " + addr + " on " + l.Name}, body.String())
		if err != nil {
			return err
		}
		if _, err := h.sendCapped(ctx, l.Name+"-bounces@"+h.o.ListHost, o, msg); err != nil {
			return err
		}
	}
	return nil
}
