package sending

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"text/template"

	"mailer/internal/fault"
	"mailer/internal/listaddr"
	"mailer/internal/store"
)

// Mailer tells a list's owners (package mailout).
type Mailer interface {
	Book() listaddr.Book
	ToOwners(ctx context.Context, l *store.List, siteOwner, subject, body string) error
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
	subject := fmt.Sprintf("Send #%d of %s to %s paused itself", send.ID, send.Issue, l.Name)
	return n.mail.ToOwners(ctx, l, n.siteOwner, subject, body.String())
}
