package mailout

import (
	"context"

	"mailer/internal/store"
)

// ToOwners mails a notice to every owner of l — or, for a list without
// any, to siteOwner — from the list, with its bounce address as the
// envelope sender. Every owner is told even when mail to one fails (one
// full mailbox must not keep the others from knowing); the first failure
// is returned. A reached answer cap is not an error: what a notice tells
// is also shown by the commands (bounces ls, status).
func (m *Mailer) ToOwners(ctx context.Context, l *store.List, siteOwner, subject, body string) error {
	owners := l.Owners
	if len(owners) == 0 && siteOwner != "" {
		owners = []string{siteOwner}
	}
	var first error
	for _, o := range owners {
		if err := m.toOwner(ctx, l, o, subject, body); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (m *Mailer) toOwner(ctx context.Context, l *store.List, owner, subject, body string) error {
	msg, err := m.Compose(Header{From: m.ListFrom(l), To: owner, Subject: subject, Type: "notice"}, body)
	if err != nil {
		return err
	}
	if err := m.Send(ctx, store.BudgetMail, m.o.Book.Bounces(l.Name), owner, msg); err != nil && !Capped(err) {
		return err
	}
	return nil
}
