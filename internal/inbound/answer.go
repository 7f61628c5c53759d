package inbound

import (
	"context"
	"strings"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/mailout"
	"mailer/internal/store"
)

// replyData feeds templates/inbound/reply.txt.
type replyData struct {
	Results     []line
	Stopped     bool
	Host, Owner string
	Date        string
}

// answer sends the transcript of a command mail to its sender. Mail to a
// list's own addresses is answered from the list; mail to majordomo@ from
// majordomo@. An answer past the caps is not sent, and not an error: the
// caps are what stops two robots answering each other.
func (h *Handler) answer(ctx context.Context, m *Message, list string, to address.Address, results []line, stopped bool) (bool, error) {
	book := h.o.Book
	owner := h.o.Owner
	if owner == "" {
		owner = book.Postmaster()
	}
	var body strings.Builder
	if err := h.reply.Execute(&body, replyData{Results: results, Stopped: stopped, Host: book.Host, Owner: owner,
		Date: m.Header.Get("Date")}); err != nil {
		return false, fault.Wrap(fault.Internal, err, "template inbound/reply.txt")
	}
	subject := "Majordomo results"
	if m.Subject != "" {
		subject = "Re: " + strings.TrimPrefix(m.Subject, "Re: ")
	}
	from, envelope := h.p.Mail.SiteFrom(), book.SiteBounces()
	if list != "" {
		l, err := h.store.GetList(ctx, list)
		if err != nil {
			return false, err
		}
		from, envelope = h.p.Mail.ListFrom(l), book.Bounces(l.Name)
	}
	msg, err := h.p.Mail.Compose(mailout.Header{From: from, To: to.String(), Subject: subject, InReplyTo: m.MessageID,
		References: m.References}, body.String())
	if err != nil {
		return false, err
	}
	err = h.p.Mail.Send(ctx, store.BudgetMail, envelope, to.String(), msg)
	if mailout.Capped(err) {
		return false, nil
	}
	return err == nil, err
}
