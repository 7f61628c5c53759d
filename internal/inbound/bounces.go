package inbound

import (
	"context"
	"fmt"
	"strings"

	"mailer/internal/bounce"
	"mailer/internal/store"
)

// bounce keeps a bounce, reads it, and adds it to the member's score. The
// address comes from the report, else from the VERP envelope, which names
// the reader even when the report is unreadable. Bounces are never answered.
func (h *Handler) bounce(ctx context.Context, route Route, rcpt string, raw []byte) (Result, error) {
	r := bounce.Parse(raw)
	addr := r.Recipient
	if route.VERP != "" && (addr == "" || !r.Bounce) {
		addr = route.VERP
	}
	if err := h.store.StoreBounce(ctx, store.Bounce{ListName: route.List, Recipient: rcpt, Address: addr,
		MessageID: headerValue(raw, "Message-Id"), Raw: raw}); err != nil {
		return Result{}, err
	}
	if !r.Bounce {
		return Result{Outcome: BounceStored, Detail: addr + ": " + r.Reason}, nil
	}
	if addr == "" {
		return Result{Outcome: BounceStored, Detail: "bounce names no address"}, nil
	}
	reason := strings.TrimSpace(string(r.Kind) + " bounce: " + r.Reason)
	up, err := h.store.RecordBounce(ctx, route.List, addr, r.Kind == bounce.Hard, reason, h.o.Bounces)
	if err != nil {
		return Result{}, err
	}
	if !up.Member {
		return Result{Outcome: BounceStored, Detail: addr + " is not a member of " + route.List}, nil
	}
	detail := fmt.Sprintf("%s %s bounce, score %.1f", addr, r.Kind, up.Score)
	if up.Disabled {
		detail += "; mail stopped"
		if err := h.NotifyBounced(ctx, route.List, addr, up.Score, reason); err != nil {
			h.o.Logger.Warn("could not tell the owners", "err", err)
		}
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
