// Package inbound handles mail sent to mailer's own addresses: majordomo
// style commands, confirmations, tokenised unsubscribes and bounces. One
// Handler serves both entry points, `mailer receive` (a pipe from the MTA)
// and the LMTP/SMTP listener of `mailer serve`.
package inbound

import (
	"context"
	"io/fs"
	"iter"
	"log/slog"
	"text/template"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/listaddr"
	"mailer/internal/mailout"
	"mailer/internal/optin"
	"mailer/internal/store"
)

// Store is what the handler needs of the subscription store.
type Store interface {
	GetList(ctx context.Context, name string) (*store.List, error)
	Lists(ctx context.Context) ([]*store.List, error)
	Members(ctx context.Context, l *store.List, status store.Status) iter.Seq2[*store.Member, error]
	MembershipsOf(ctx context.Context, addr string) ([]store.Membership, error)
}

// Mailer composes and sends the answers under the answer caps (package
// mailout).
type Mailer interface {
	Book() listaddr.Book
	SiteRoom(ctx context.Context, budget string, n int) error
	Send(ctx context.Context, budget, envelope, to string, msg []byte) error
	Compose(h mailout.Header, body string) ([]byte, error)
	ListFrom(l *store.List) string
	SiteFrom() string
}

// Subscriptions is the opt-in workflow (package optin): joining, leaving,
// confirming, and the List-Unsubscribe mailto addresses' signed tokens.
type Subscriptions interface {
	Subscribe(ctx context.Context, l *store.List, a address.Address, req optin.Request) (optin.Outcome, error)
	Unsubscribe(ctx context.Context, l *store.List, a address.Address, req optin.Request) (optin.Outcome, error)
	Send(ctx context.Context, k *optin.Ask, carry string) error
	Confirm(ctx context.Context, code string, ev store.Evidence) (optin.Confirmed, error)
	Leave(ctx context.Context, k optin.Link, ev store.Evidence) (optin.Left, error)
	Interval() time.Duration
}

// Parts are the services the handler hands work to.
type Parts struct {
	Mail    Mailer
	Subs    Subscriptions
	Bounces Bounces
}

// Options configure a Handler.
type Options struct {
	Book  listaddr.Book
	Owner string // where questions go
	// Caps on the commands read from one mail and on its size.
	MaxCommands, MaxMessageBytes int
	Templates                    fs.FS
	Now                          func() time.Time
	Logger                       *slog.Logger
	Observer                     Observer // nil: nobody counts the commands
}

// Handler acts on mail to mailer's addresses.
type Handler struct {
	store   Store
	p       Parts
	o       Options
	results *template.Template
	reply   *template.Template
}

// New parses the templates and returns a Handler.
func New(s Store, p Parts, o Options) (*Handler, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxCommands <= 0 {
		o.MaxCommands = 50
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 1 << 20
	}
	h := &Handler{store: s, p: p, o: o}
	var err error
	for _, t := range []struct {
		dst  **template.Template
		name string
	}{{&h.results, "inbound/results.tmpl"}, {&h.reply, "inbound/reply.txt"}} {
		if *t.dst, err = template.ParseFS(o.Templates, t.name); err != nil {
			return nil, fault.Wrap(fault.Internal, err, "template %s", t.name)
		}
	}
	return h, nil
}

// Outcome says what became of a mail.
type Outcome string

// Outcomes of Handle.
const (
	Answered     Outcome = "answered" // commands run; an answer sent (or capped)
	Acted        Outcome = "acted"    // acted on, no answer by design
	Ignored      Outcome = "ignored"  // auto-generated or loop: nothing done
	Dropped      Outcome = "dropped"  // malformed: nothing done
	BounceStored Outcome = "bounce-stored"
)

// Result describes a handled mail, for the log.
type Result struct {
	Outcome Outcome
	Detail  string
}
