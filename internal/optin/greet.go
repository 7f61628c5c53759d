package optin

import (
	"context"
	"strings"

	"mailer/internal/mailout"
	"mailer/internal/render"
	"mailer/internal/store"
	"mailer/internal/token"
)

// greetData feeds templates/optin/welcome.txt and goodbye.txt.
type greetData struct {
	Address, Title, List, Description, Archive, Unsubscribe, Subscribe string
	CommandAddress, ListAddress, Contact                               string
}

// greet mails a new member its welcome, or one who left by mail command
// its goodbye, when the list has them on. It is a courtesy: a failure is
// logged, and the confirmation stands.
func (s *Service) greet(ctx context.Context, c *store.Confirmation) {
	if err := s.sendGreeting(ctx, c); err != nil {
		s.o.Logger.Warn("welcome or goodbye not sent", "list", c.ListName, "address", c.Address, "action", c.Action, "err", err)
	}
}

func (s *Service) sendGreeting(ctx context.Context, c *store.Confirmation) error {
	l, err := s.store.GetList(ctx, c.ListName)
	if err != nil || !l.Welcome {
		return err
	}
	m, err := s.store.GetMember(ctx, l, c.Address)
	if err != nil {
		return err
	}
	book := s.mail.Book()
	tok := ""
	if s.o.Tokens != nil {
		tok = s.o.Tokens.Make(token.Membership{ListID: l.ID, SubscriberID: m.SubscriberID})
	}
	d := greetData{Address: m.Address, Title: l.Title, List: l.Name, Description: l.Description, Archive: book.ArchiveURL(l.Name, ""),
		Unsubscribe: book.UnsubscribeURL(tok), Subscribe: book.SubscribeURL(l.Name), CommandAddress: book.Commands(),
		ListAddress: book.Post(l.Name), Contact: s.o.Contact}
	words := s.wordingOf(l)
	tmpl, subject := words.welcome, "Welcome to "+l.Title
	h := mailout.Header{From: s.mail.ListFrom(l), To: m.Address, ListID: listID(l, book.ListID(l.Name)), ListArchive: d.Archive}
	if c.Action == "unsubscribe" {
		tmpl, subject = words.goodbye, "You have left "+l.Title
	} else if tok != "" {
		h.ListUnsubscribeURL, h.ListUnsubscribeMailto = d.Unsubscribe, book.TokenUnsubscribe(l.Name, tok)
	}
	var body strings.Builder
	if err := tmpl.Execute(&body, d); err != nil {
		return err
	}
	h.Subject = subject
	msg, err := s.mail.Compose(h, body.String())
	if err != nil {
		return err
	}
	return s.mail.Send(ctx, store.BudgetMail, book.Bounces(l.Name), m.Address, msg)
}

// listID is the List-Id value: the title as a phrase, the identifier.
func listID(l *store.List, id string) string {
	name, err := render.FormatMailbox(l.Title, "x@y.z")
	if err != nil {
		return "<" + id + ">"
	}
	return strings.TrimSuffix(name, "<x@y.z>") + "<" + id + ">"
}
