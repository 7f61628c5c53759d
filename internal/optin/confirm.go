package optin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/mailout"
	"mailer/internal/store"
)

// confirmData feeds templates/optin/confirm.txt.
type confirmData struct {
	Action, Address, Title, List, RequestedBy, MessageID, Expires string
	URL, ReplyTo, CommandAddress, Token, ListAddress, Contact     string
}

// sendConfirmation mails a a new code for action. The code is stored
// first, marked unsent, so that it works the moment the mail arrives; it
// counts as sent only once the transport took the mail, and is dropped if
// the transport refused, leaving nothing behind for a retry to trip on. A
// reached cap is the CannotSend outcome; any other failure is returned.
func (s *Service) sendConfirmation(ctx context.Context, l *store.List, a address.Address, action string, req Request) (Outcome, error) {
	code, err := newCode()
	if err != nil {
		return Outcome{}, err
	}
	msg, c, err := s.confirmation(l, a, action, code, req)
	if err != nil {
		return Outcome{}, err
	}
	if err := s.store.CreateConfirmation(ctx, code, c); err != nil {
		return Outcome{}, err
	}
	book := s.mail.Book()
	if err := s.mail.Send(ctx, req.Budget, book.Bounces(l.Name), a.String(), msg); err != nil {
		if derr := s.store.DropConfirmation(context.WithoutCancel(ctx), code); derr != nil {
			s.o.Logger.Warn("unsent confirmation not dropped (it stays unsent and unused)", "err", derr)
		}
		if mailout.Capped(err) {
			return Outcome{Kind: CannotSend, Detail: err.Error()}, nil
		}
		return Outcome{}, err
	}
	return Outcome{}, s.store.ConfirmationSent(context.WithoutCancel(ctx), code)
}

// confirmation composes the request and the row that stores it.
func (s *Service) confirmation(l *store.List, a address.Address, action, code string, req Request) ([]byte, store.Confirmation, error) {
	now := s.o.Now()
	c := store.Confirmation{ListID: l.ID, Address: a.String(), Action: action, RequestedBy: req.Requester,
		MessageID: req.MessageID, Source: req.Evidence.Source, CreatedAt: now, ExpiresAt: now.Add(s.o.TTL)}
	book := s.mail.Book()
	replyTo := book.Confirm(l.Name, code)
	d := confirmData{Action: action, Address: a.String(), Title: l.Title, List: l.Name, RequestedBy: req.Requester,
		MessageID: req.MessageID, Expires: Stamp(c.ExpiresAt), URL: book.ConfirmURL(code), ReplyTo: replyTo,
		CommandAddress: book.Commands(), Token: code, ListAddress: book.Post(l.Name), Contact: s.o.Contact}
	var body strings.Builder
	if err := s.wordingOf(l).confirm.Execute(&body, d); err != nil {
		return nil, c, fault.Wrap(fault.Internal, err, "template optin/confirm.txt")
	}
	// The address is in the body, not the Subject: filters score a
	// recipient's address in the Subject (SpamAssassin's TO_IN_SUBJ).
	subject := "Confirm: subscribe to " + l.Title + " (confirm " + code + ")"
	if action == "unsubscribe" {
		subject = "Confirm: unsubscribe from " + l.Title + " (confirm " + code + ")"
	}
	msg, err := s.mail.Compose(mailout.Header{From: s.mail.ListFrom(l), To: a.String(), Subject: subject, ReplyTo: replyTo,
		InReplyTo: req.MessageID, References: req.References}, body.String())
	return msg, c, err
}

// Confirmed is a used confirmation.
type Confirmed struct {
	*store.Confirmation
	// Again: the code had been used already and what it asked for still
	// holds: an MTA's retry of a confirmation whose answer failed, or a
	// second click.
	Again bool
}

// Confirm uses a code and makes the change it confirms. A bad or expired
// code is a fault.Invalid; a used one too, unless the change it made still
// holds, which is answered as done.
func (s *Service) Confirm(ctx context.Context, code string, ev store.Evidence) (Confirmed, error) {
	conf, _, err := s.store.ApplyConfirmation(ctx, code, func(c *store.Confirmation) store.Evidence {
		e := ev
		e.Reason = fmt.Sprintf("%s; requested by %s in %s", ev.Reason, c.RequestedBy, orNone(c.MessageID))
		return e
	})
	if err == nil {
		s.greet(ctx, conf)
		return Confirmed{Confirmation: conf}, nil
	}
	if !errors.Is(err, store.ErrTokenUsed) || conf == nil {
		return Confirmed{}, err
	}
	m, merr := s.store.GetMember(ctx, conf.List(), conf.Address)
	if merr != nil && fault.CodeOf(merr) != fault.NotFound {
		return Confirmed{}, merr
	}
	want := store.Active
	if conf.Action == "unsubscribe" {
		want = store.Unsubscribed
	}
	if merr == nil && m.Status == want {
		return Confirmed{Confirmation: conf, Again: true}, nil
	}
	return Confirmed{}, err
}

func orNone(s string) string {
	if s == "" {
		return "(no mail: the web form)"
	}
	return s
}

// Resubscribe undoes an unsubscribe for the holder of the member's
// unsubscribe token, which proves the address: a reader who left by
// mistake is active again at once. But a member whose mail was stopped
// (by bounces or an owner) before it left is not put back by its token:
// that takes `mailer subscribers reactivate` or a new subscription the
// address confirms, which this then asks for.
func (s *Service) Resubscribe(ctx context.Context, l *store.List, m *store.Member, req Request) (Outcome, error) {
	a, err := address.Parse(m.Address)
	if err != nil {
		return Outcome{}, err
	}
	req.Self = true // the token holder is the address
	if m.Status == store.Active {
		return Outcome{Kind: AlreadySubscribed}, nil
	}
	if m.Status == store.Unsubscribed {
		before, err := s.store.PreviousStatus(ctx, l, m.Address)
		if err != nil {
			return Outcome{}, err
		}
		if before == store.Active {
			if _, err := s.store.SetStatus(ctx, l, a, store.Active, req.Evidence); err != nil {
				return Outcome{}, err
			}
			return Outcome{Kind: SubscribedNow}, nil
		}
	}
	return s.Subscribe(ctx, l, a, req)
}
