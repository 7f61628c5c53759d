package sending

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"text/template"

	"mailer/internal/fault"
	"mailer/internal/listaddr"
	"mailer/internal/mailout"
	"mailer/internal/store"
)

// Mailer composes and sends mailer's own mail under the answer caps
// (package mailout).
type Mailer interface {
	Book() listaddr.Book
	Send(ctx context.Context, budget, envelope, to string, msg []byte) error
	Compose(h mailout.Header, body string) ([]byte, error)
	ListFrom(l *store.List) string
}

// BreakerNotice mails a list's owners (or, for a list without any, the
// site owner) when the circuit breaker pauses a send.
type BreakerNotice struct {
	mail      Mailer
	siteOwner string
	templates fs.FS
}

// NewBreakerNotice returns the notice; its wording is
// templates/bounces/send-paused.txt, read when a notice goes out, so an
// owner's reworded copy is picked up without a restart.
func NewBreakerNotice(m Mailer, siteOwner string, templates fs.FS) *BreakerNotice {
	return &BreakerNotice{mail: m, siteOwner: siteOwner, templates: templates}
}

const breakerTemplate = "bounces/send-paused.txt"

// NotifyBreaker tells every owner; every one is told even when mail to
// one fails (the first failure is returned). A reached answer cap is not
// an error: sends ls and status show the pause either way.
func (n *BreakerNotice) NotifyBreaker(ctx context.Context, l *store.List, send *store.Send, rate float64, reason string) error {
	t, err := template.ParseFS(n.templates, breakerTemplate)
	if err != nil {
		return fault.Wrap(fault.Internal, err, "template "+breakerTemplate)
	}
	var body strings.Builder
	if err := t.Execute(&body, map[string]any{"Send": send.ID, "Issue": send.Issue, "Title": l.Title, "List": l.Name,
		"Sent": Thousands(send.Counts.Sent), "Total": Thousands(send.Total), "Rate": Percent(rate), "Reason": reason,
		"Host": n.mail.Book().Host}); err != nil {
		return fault.Wrap(fault.Internal, err, "template "+breakerTemplate)
	}
	owners := l.Owners
	if len(owners) == 0 && n.siteOwner != "" {
		owners = []string{n.siteOwner}
	}
	subject := fmt.Sprintf("Send #%d of %s to %s paused itself", send.ID, send.Issue, l.Name)
	var first error
	for _, o := range owners {
		if err := n.send(ctx, l, o, subject, body.String()); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (n *BreakerNotice) send(ctx context.Context, l *store.List, owner, subject, body string) error {
	msg, err := n.mail.Compose(mailout.Header{From: n.mail.ListFrom(l), To: owner, Subject: subject}, body)
	if err != nil {
		return err
	}
	if err := n.mail.Send(ctx, store.BudgetMail, n.mail.Book().Bounces(l.Name), owner, msg); err != nil && !mailout.Capped(err) {
		return err
	}
	return nil
}
