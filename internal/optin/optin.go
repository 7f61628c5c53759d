// Package optin is the one home of subscribing, confirming and leaving,
// for mail commands, the web pages and the HTTP API alike. A request to
// join or leave sends the address itself a confirmation, and only its
// answer changes the membership. A request counts as made only once its
// confirmation was handed over; answers about an address other than the
// asker's own say the same whatever that address's state. Two paths need
// no confirmation: a signed unsubscribe token (leave.go), which proves the
// address, and an owner's changes (owners.go), under the consent rules.
package optin

import (
	"context"
	"log/slog"
	"time"

	"mailer/internal/address"
	"mailer/internal/listaddr"
	"mailer/internal/mailout"
	"mailer/internal/store"
	"mailer/internal/token"
	"mailer/templates"
)

// Store is what the workflow needs of the subscription store.
type Store interface {
	GetList(ctx context.Context, name string) (*store.List, error)
	GetMember(ctx context.Context, l *store.List, addr string) (*store.Member, error)
	MemberByID(ctx context.Context, listID, subscriberID int64) (*store.List, *store.Member, error)
	SetStatus(ctx context.Context, l *store.List, addr address.Address, to store.Status, ev store.Evidence) (store.Change, error)
	PreviousStatus(ctx context.Context, l *store.List, addr string) (store.Status, error)
	CreateConfirmation(ctx context.Context, token string, c store.Confirmation) error
	ConfirmationSent(ctx context.Context, token string) error
	DropConfirmation(ctx context.Context, token string) error
	LastConfirmation(ctx context.Context, listID int64, addr, action string) (time.Time, error)
	ApplyConfirmation(ctx context.Context, token string, ev func(*store.Confirmation) store.Evidence) (*store.Confirmation, store.Change, error)
	// StandingOf lists every membership of an address (preferences.go).
	StandingOf(ctx context.Context, addr string) ([]store.Membership, error)
}

// Mailer composes and sends under the answer caps (package mailout).
type Mailer interface {
	Book() listaddr.Book
	Room(ctx context.Context, budget, addr string) error
	Send(ctx context.Context, budget, envelope, to string, msg []byte) error
	Compose(h mailout.Header, body string) ([]byte, error)
	ListFrom(l *store.List) string
}

// Tokens makes the signed unsubscribe tokens of the welcome's links and
// verifies those that come back (package token).
type Tokens interface {
	Make(m token.Membership) string
	Verify(tok string) (token.Membership, error)
}

// Options configure the workflow.
type Options struct {
	Tokens   Tokens        // nil: the welcome has no one-click link, and every token is refused
	TTL      time.Duration // how long a confirmation code works
	Interval time.Duration // least time between two confirmations to one address
	// UndoWindow: how long a reader may undo leaving with the same link
	// (0: the package's UndoWindow).
	UndoWindow time.Duration
	Contact    string
	Looks      templates.Looks // the global and each list's templates
	Now        func() time.Time
	Logger     *slog.Logger
	// Observer counts the confirmations sent and used (the metrics);
	// nil: nobody.
	Observer Observer
}

// Observer is told of each confirmation handed to the transport and each
// one used, by list and action (subscribe or unsubscribe).
type Observer interface {
	ConfirmationSent(list, action string)
	Confirmed(list, action string)
}

// Service runs the workflow.
type Service struct {
	store Store
	mail  Mailer
	o     Options
	looks *templates.Sets[*wording]
}

// New parses the confirmation template.
func New(s Store, m Mailer, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	svc := &Service{store: s, mail: m, o: o}
	var err error
	if svc.looks, err = templates.NewSets(o.Looks, parseWording); err != nil {
		return nil, err
	}
	return svc, nil
}

// Interval is the least time between two confirmations to one address.
func (s *Service) Interval() time.Duration { return s.o.Interval }

// Request is where a request came from: a mail or a web page.
type Request struct {
	Requester  string // who asked, as shown in the confirmation
	MessageID  string // the mail that asked, if any
	References string
	Evidence   store.Evidence
	// Budget is the answer cap the confirmation counts against
	// (store.BudgetMail, store.BudgetWeb).
	Budget string
	// Self: the answer goes to the address the request is about, which may
	// learn its own state. Anyone else gets the same answer whatever it is.
	Self bool
	// Later: a confirmation to send is handed back in Outcome.Ask, unsent,
	// for the caller to send with Service.Send once it knows what else to
	// say (a command mail's answer rides in it).
	Later bool
}

// Admit is what a subscription request is told before anything about the
// address is read: a closed list refuses, a reached cap says so. The web
// form answers from this alone and hands the rest (Subscribe) to a queue,
// so that its answer takes the same time whatever the address's state.
func (s *Service) Admit(ctx context.Context, l *store.List, a address.Address, req Request) (Outcome, error) {
	if l.Policy == store.PolicyClosed {
		return Outcome{Kind: ListClosed}, nil
	}
	return s.room(ctx, a, req)
}
