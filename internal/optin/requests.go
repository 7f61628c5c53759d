package optin

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"io/fs"
	"strings"
	"text/template"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/mailout"
	"mailer/internal/store"
)

// Kind names what a request did. The names are those of the answers in
// templates/inbound/results.tmpl.
type Kind string

// Outcomes of Subscribe and Unsubscribe.
const (
	ConfirmationSent            Kind = "confirmation-sent"
	UnsubscribeConfirmationSent Kind = "unsubscribe-confirmation-sent"
	ConfirmationRecent          Kind = "confirmation-recent"
	AlreadySubscribed           Kind = "already-subscribed"
	NotSubscribed               Kind = "not-subscribed"
	SubscribedNow               Kind = "subscribed"
	ListClosed                  Kind = "closed"
	Blocked                     Kind = "blocked"
	// CannotSend: an answer cap is reached; nothing was changed or sent.
	CannotSend Kind = "cannot-send"
	// SubscribeRequested and UnsubscribeRequested are what a request about
	// someone else's address is told, whatever that address's state.
	SubscribeRequested   Kind = "subscribe-requested"
	UnsubscribeRequested Kind = "unsubscribe-requested"
)

// Outcome is what a request did.
type Outcome struct {
	Kind   Kind
	Last   time.Time // ConfirmationRecent: when the last one was sent
	Detail string    // Blocked: why; CannotSend: which cap
	// Ask: with Request.Later, the confirmation decided on but not yet
	// sent or stored; the caller sends it with Send. Nil otherwise.
	Ask *Ask
}

// Subscribe asks for a to join l. A closed list refuses; an open list takes
// an address that asks for itself at once; otherwise a confirmation goes to
// a (at most one per Interval), and a becomes pending once it was sent.
func (s *Service) Subscribe(ctx context.Context, l *store.List, a address.Address, req Request) (Outcome, error) {
	if l.Policy == store.PolicyClosed {
		return Outcome{Kind: ListClosed}, nil
	}
	out, err := s.subscribe(ctx, l, a, req)
	return s.told(out, req, SubscribeRequested), err
}

func (s *Service) subscribe(ctx context.Context, l *store.List, a address.Address, req Request) (Outcome, error) {
	// The caps first: their answer then says nothing about a's state.
	if out, err := s.room(ctx, a, req); out.Kind != "" || err != nil {
		return out, err
	}
	cur, err := s.store.GetMember(ctx, l, a.String())
	switch {
	case err == nil && cur.Status == store.Active:
		return Outcome{Kind: AlreadySubscribed}, nil
	case err == nil && (cur.Status == store.Bounced || cur.Status == store.Disabled || cur.Status == store.Complained):
		// Stopped mail is restarted by an owner only; a complaint must
		// not be undone by a confirmation (store.Complained).
		return Outcome{Kind: Blocked, Detail: string(cur.Status)}, nil
	case err != nil && fault.CodeOf(err) != fault.NotFound:
		return Outcome{}, err
	}
	if l.Policy == store.PolicyOpen && address.Key(a.String()) == address.Key(req.Requester) {
		ev := req.Evidence
		ev.Reason += " (open list)"
		if _, err := s.store.SetStatus(ctx, l, a, store.Active, ev); err != nil {
			return Outcome{}, err
		}
		s.greet(ctx, &store.Confirmation{ListName: l.Name, Address: a.String(), Action: "subscribe"})
		return Outcome{Kind: SubscribedNow}, nil
	}
	if last, err := s.recent(ctx, l, a, "subscribe"); err != nil || !last.IsZero() {
		return Outcome{Kind: ConfirmationRecent, Last: last}, err
	}
	return s.ask(ctx, &Ask{l: l, a: a, action: "subscribe", req: req}, ConfirmationSent)
}

// Unsubscribe asks for a to leave l: a confirmation goes to a, which stays
// a member until it answers.
func (s *Service) Unsubscribe(ctx context.Context, l *store.List, a address.Address, req Request) (Outcome, error) {
	out, err := s.unsubscribe(ctx, l, a, req)
	return s.told(out, req, UnsubscribeRequested), err
}

func (s *Service) unsubscribe(ctx context.Context, l *store.List, a address.Address, req Request) (Outcome, error) {
	if out, err := s.room(ctx, a, req); out.Kind != "" || err != nil {
		return out, err
	}
	cur, err := s.store.GetMember(ctx, l, a.String())
	if err != nil && fault.CodeOf(err) != fault.NotFound {
		return Outcome{}, err
	}
	if err != nil || (cur.Status != store.Active && cur.Status != store.Pending) {
		return Outcome{Kind: NotSubscribed}, nil
	}
	if last, err := s.recent(ctx, l, a, "unsubscribe"); err != nil || !last.IsZero() {
		return Outcome{Kind: ConfirmationRecent, Last: last}, err
	}
	return s.ask(ctx, &Ask{l: l, a: a, action: "unsubscribe", req: req}, UnsubscribeConfirmationSent)
}

// told is the outcome as the asker may hear it: the truth about an address
// goes only to that address. A closed list or a reached cap is no secret
// of the address.
func (s *Service) told(out Outcome, req Request, neutral Kind) Outcome {
	if req.Self || out.Kind == "" || out.Kind == ListClosed || out.Kind == CannotSend {
		return out
	}
	return Outcome{Kind: neutral, Ask: out.Ask}
}

// room turns a reached cap into the CannotSend outcome.
func (s *Service) room(ctx context.Context, a address.Address, req Request) (Outcome, error) {
	err := s.mail.Room(ctx, req.Budget, a.String())
	if mailout.Capped(err) {
		return Outcome{Kind: CannotSend, Detail: err.Error()}, nil
	}
	return Outcome{}, err
}

// recent returns when the last confirmation of action still open (neither
// used nor expired) went to a for l if that was within Interval, else the
// zero time: a reader who answered and left may ask again at once.
func (s *Service) recent(ctx context.Context, l *store.List, a address.Address, action string) (time.Time, error) {
	last, err := s.store.LastConfirmation(ctx, l.ID, a.String(), action)
	if err != nil || last.IsZero() || s.o.Now().Sub(last) >= s.o.Interval {
		return time.Time{}, err
	}
	return last, nil
}

// confirmData feeds templates/optin/confirm.txt.
type confirmData struct {
	Action, Address, Title, List, RequestedBy, MessageID, Expires string
	URL, ReplyTo, CommandAddress, Token, ListAddress, Contact     string
}

// sendConfirmation mails a a new code for action, with carry (the answer
// to the rest of a command mail, or "") after the request. The code is
// stored first, marked unsent, so that it works the moment the mail
// arrives; it counts as sent only once the transport took the mail, and is
// dropped if the transport refused, leaving nothing behind for a retry to
// trip on. A reached cap is returned as mailout's (Capped), like any other
// failure.
func (s *Service) sendConfirmation(ctx context.Context, k *Ask, carry string) error {
	l, a, action, req := k.l, k.a, k.action, k.req
	code, err := newCode()
	if err != nil {
		return err
	}
	msg, c, err := s.confirmation(l, a, action, code, req, carry)
	if err != nil {
		return err
	}
	if err := s.store.CreateConfirmation(ctx, code, c); err != nil {
		return err
	}
	book := s.mail.Book()
	if err := s.mail.Send(ctx, req.Budget, book.Bounces(l.Name), a.String(), msg); err != nil {
		if derr := s.store.DropConfirmation(context.WithoutCancel(ctx), code); derr != nil {
			s.o.Logger.Warn("unsent confirmation not dropped (it stays unsent and unused)", "err", derr)
		}
		return err
	}
	if s.o.Observer != nil {
		s.o.Observer.ConfirmationSent(l.Name, action)
	}
	return s.store.ConfirmationSent(context.WithoutCancel(ctx), code)
}

// confirmation composes the request and the row that stores it.
func (s *Service) confirmation(l *store.List, a address.Address, action, code string, req Request, carry string) ([]byte, store.Confirmation, error) {
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
	// The carried answer goes after the list's wording, whatever look the
	// list has, so that no list template can lose it.
	if carry != "" {
		body.WriteString("\n\n" + carry)
	}
	msg, err := s.mail.Compose(mailout.Header{From: s.mail.ListFrom(l), To: a.String(), Subject: subject, ReplyTo: replyTo,
		InReplyTo: req.MessageID, References: req.References}, body.String())
	return msg, c, err
}

// wording is one look's templates of the workflow's mail.
type wording struct{ confirm, welcome, goodbye *template.Template }

func parseWording(fsys fs.FS) (*wording, error) {
	w := &wording{}
	for name, dst := range map[string]**template.Template{"confirm": &w.confirm, "welcome": &w.welcome, "goodbye": &w.goodbye} {
		t, err := template.ParseFS(fsys, "optin/"+name+".txt")
		if err != nil {
			return nil, fault.Wrap(fault.Internal, err, "template optin/%s.txt", name)
		}
		*dst = t
	}
	return w, nil
}

// wordingOf is list l's wording; one whose directory broke after it was
// checked is logged and the global wording used: a confirmation must go.
func (s *Service) wordingOf(l *store.List) *wording {
	w, err := s.looks.For(l.TemplatesDir)
	if err != nil {
		s.o.Logger.Error("list templates", "list", l.Name, "err", err)
	}
	return w
}

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newCode returns 120 random bits as 24 lower-case base32 letters: short
// enough for LIST-confirm+CODE@host and safe in URLs.
func newCode() (string, error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", fault.Wrap(fault.Internal, err, "random code")
	}
	return tokenEncoding.EncodeToString(b), nil
}

// Stamp is how times appear in confirmations and answers.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// Ask is a confirmation request decided on: to whom, for which list and
// action, asked by which request. Nothing of it is stored before it is
// sent, so one never sent leaves no trace.
type Ask struct {
	l      *store.List
	a      address.Address
	action string
	req    Request
}

// To is the address the confirmation goes to.
func (k *Ask) To() address.Address { return k.a }

// ask sends k now and answers done, or with Request.Later hands it back
// unsent. A reached cap is the CannotSend outcome.
func (s *Service) ask(ctx context.Context, k *Ask, done Kind) (Outcome, error) {
	if k.req.Later {
		return Outcome{Kind: done, Ask: k}, nil
	}
	err := s.Send(ctx, k, "")
	if mailout.Capped(err) {
		return Outcome{Kind: CannotSend, Detail: err.Error()}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Kind: done}, nil
}

// Send mails the confirmation k asks for, with carry after it (the answer
// to the command mail that asked, so that a subscription by mail costs one
// mail, not two), and commits the request: the code, and for a
// subscription the pending status. A reached cap is mailout's error
// (mailout.SiteCapped: the caller holds the request back for a retry);
// then nothing is committed.
func (s *Service) Send(ctx context.Context, k *Ask, carry string) error {
	if err := s.sendConfirmation(ctx, k, carry); err != nil {
		return err
	}
	if k.action != "subscribe" {
		return nil
	}
	// Sent: only now is the address pending. Should this fail, the MTA's
	// retry finds the confirmation sent and says so; the code works anyway.
	_, err := s.store.SetStatus(ctx, k.l, k.a, store.Pending, k.req.Evidence)
	if fault.CodeOf(err) == fault.Conflict {
		return nil
	}
	return err
}
