package inbound

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"strings"
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

// Accept checks a recipient when the MTA offers it (LMTP RCPT, or the pipe's
// recipient). Unknown addresses and lists are fault.NotFound; a post to an
// announce-only list is refused with ErrAnnounceOnly (fault.Invalid).
func (h *Handler) Accept(ctx context.Context, rcpt string) (listaddr.Route, error) {
	r, err := h.o.Book.Parse(rcpt)
	if err != nil {
		return r, &fault.Error{Code: fault.NotFound, Err: ErrUnknownRecipient, Message: fault.MessageOf(err)}
	}
	if r.List != "" {
		if _, err := h.store.GetList(ctx, r.List); err != nil {
			if fault.CodeOf(err) == fault.NotFound {
				return r, &fault.Error{Code: fault.NotFound, Err: ErrUnknownRecipient,
					Message: fmt.Sprintf("%s: no list named %q here", rcpt, r.List)}
			}
			return r, err
		}
	}
	if r.Kind == listaddr.KindPost {
		return r, &fault.Error{Code: fault.Invalid, Err: ErrAnnounceOnly,
			Message: h.o.Book.Post(r.List) + " is an announce-only newsletter: posts are not accepted. " +
				"Send commands such as \"help\" to " + h.o.Book.Request(r.List)}
	}
	return r, nil
}

// ErrAnnounceOnly marks a refused post to a list.
var ErrAnnounceOnly = errors.New("announce-only list")

// ErrUnknownRecipient marks a recipient that is none of our addresses: the
// one failure an MTA may bounce for good. Everything else that goes wrong
// is ours and temporary.
var ErrUnknownRecipient = errors.New("unknown recipient")

// Delivery is one mail as the MTA hands it over.
type Delivery struct {
	Recipient string
	// Sender is the envelope sender; "" is the null sender of a bounce.
	// SenderKnown is false when the MTA did not say (a bare pipe).
	Sender      string
	SenderKnown bool
	Raw         []byte
}

// Handle acts on one delivered mail. Errors that should make the MTA try
// again later are fault.Unavailable; malformed mail is dropped, not
// answered, and is not an error.
func (h *Handler) Handle(ctx context.Context, dl Delivery) (Result, error) {
	rcpt, raw := dl.Recipient, dl.Raw
	if len(raw) > h.o.MaxMessageBytes {
		return Result{Outcome: Dropped, Detail: "larger than inbound.max_message_bytes"}, nil
	}
	route, err := h.Accept(ctx, rcpt)
	if err != nil {
		return Result{}, err
	}
	if route.Kind == listaddr.KindBounce {
		return h.bounce(ctx, route, rcpt, raw)
	}
	m, err := Parse(raw)
	if err != nil {
		h.o.Logger.Warn("dropping malformed mail", "rcpt", rcpt, "err", err)
		return Result{Outcome: Dropped, Detail: err.Error()}, nil
	}
	if why := deliveryReport(raw, m); why != "" && route.Kind != listaddr.KindTokenUnsubscribe {
		if route.List == "" {
			h.o.Logger.Info("ignoring a delivery report sent to the command address", "rcpt", rcpt, "why", why)
			return Result{Outcome: Ignored, Detail: why + " to the command address"}, nil
		}
		return h.bounce(ctx, listaddr.Route{Kind: listaddr.KindBounce, List: route.List}, rcpt, raw)
	}
	if why := h.autoGenerated(m, dl); why != "" {
		if route.Kind == listaddr.KindTokenUnsubscribe {
			// The signed token proves the request whoever sent it; only the
			// answer is left out.
			return h.tokenUnsubscribe(ctx, route, m)
		}
		h.o.Logger.Info("ignoring auto-generated mail", "rcpt", rcpt, "from", m.From.String(), "why", why)
		return Result{Outcome: Ignored, Detail: why}, nil
	}
	switch route.Kind {
	case listaddr.KindTokenUnsubscribe:
		return h.tokenUnsubscribe(ctx, route, m)
	case listaddr.KindConfirm:
		return h.commands(ctx, m, route.List, []Command{{Raw: "confirm " + route.Token, Verb: "confirm", Token: route.Token}})
	case listaddr.KindSubscribe:
		return h.commands(ctx, m, route.List, []Command{{Raw: "subscribe " + route.List, Verb: "subscribe", List: route.List}})
	case listaddr.KindUnsubscribe:
		return h.commands(ctx, m, route.List, []Command{{Raw: "unsubscribe " + route.List, Verb: "unsubscribe", List: route.List}})
	}
	var cmds []Command
	for _, line := range CommandLines(m.Text, m.Subject) {
		cmds = append(cmds, ParseCommand(line, route.List))
	}
	return h.commands(ctx, m, route.List, cmds)
}

// autoGenerated says why a mail must not be answered, or "". RFC 3834 and
// long practice: never answer auto-replies, bulk or list mail, bounces,
// robots, our own loop marker or our own addresses.
func (h *Handler) autoGenerated(m *Message, dl Delivery) string {
	hd := m.Header
	if v := strings.ToLower(strings.TrimSpace(hd.Get("Auto-Submitted"))); v != "" && v != "no" {
		return "Auto-Submitted: " + v
	}
	switch strings.ToLower(strings.TrimSpace(hd.Get("Precedence"))) {
	case "bulk", "junk", "list":
		return "Precedence: " + hd.Get("Precedence")
	}
	if hd.Get("List-Id") != "" {
		return "List-Id present"
	}
	for _, v := range hd.Values("X-Loop") {
		if strings.Contains(strings.ToLower(v), strings.ToLower(h.loopMark())) {
			return "our own X-Loop"
		}
	}
	if dl.SenderKnown && robotAddress(dl.Sender) {
		if s := strings.Trim(strings.TrimSpace(dl.Sender), "<>"); s != "" {
			return "envelope sender " + s + " is a robot"
		}
		return "null envelope sender (a bounce)"
	}
	if rp := hd.Get("Return-Path"); rp != "" && robotAddress(rp) {
		return "Return-Path " + rp + " is a robot"
	}
	if robotAddress(m.From.Local + "@" + m.From.Domain) {
		return "sent by " + m.From.String()
	}
	if m.ReplyTo != nil && robotAddress(m.ReplyTo.Local+"@"+m.ReplyTo.Domain) {
		return "Reply-To " + m.ReplyTo.String() + " is a robot"
	}
	if strings.EqualFold(m.From.Domain, h.o.Book.Host) || strings.EqualFold(m.ReplyAddress().Domain, h.o.Book.Host) {
		return "sent from our own domain"
	}
	return ""
}

func (h *Handler) loopMark() string { return h.o.Book.LoopMark() }

// headerValue finds a header in raw mail without parsing the rest, for
// bounces that may not parse.
func headerValue(raw []byte, name string) string {
	if msg, err := readHeader(raw); err == nil {
		return strings.TrimSpace(msg.header.Get(name))
	}
	return ""
}

// tokenUnsubscribe acts on the List-Unsubscribe mailto: the signed token
// names the membership, so it unsubscribes at once and sends no answer.
func (h *Handler) tokenUnsubscribe(ctx context.Context, route listaddr.Route, m *Message) (Result, error) {
	left, err := h.p.Subs.Leave(ctx, optin.Link{Token: route.Token, List: route.List}, store.Evidence{Source: store.SourceEmail,
		MessageID: m.MessageID, Reason: "List-Unsubscribe mailto (signed token), sent by " + m.From.String()})
	switch {
	case errors.Is(err, optin.BadToken):
		return Result{Outcome: Dropped, Detail: "invalid unsubscribe token"}, nil
	case errors.Is(err, optin.NoMember) || errors.Is(err, optin.OtherList):
		return Result{Outcome: Dropped, Detail: "unsubscribe token for another list or member"}, nil
	case left.Member == nil:
		return Result{}, err
	case left.Already:
		return Result{Outcome: Acted, Detail: left.Address.String() + " was already unsubscribed"}, nil
	case fault.CodeOf(err) == fault.Conflict:
		return Result{Outcome: Acted, Detail: err.Error()}, nil
	}
	return Result{Outcome: Acted, Detail: "unsubscribed " + left.Address.String() + " from " + left.List.Name}, err
}
