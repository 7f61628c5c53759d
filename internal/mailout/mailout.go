// Package mailout composes mailer's own mail — answers to commands,
// confirmation requests, notices to owners — with the list's From and the
// headers RFC 3834 asks of automatic mail, and hands it to the transport
// under the answer caps. Mail commands, the double opt-in workflow and the
// bounce service all send through it; it knows none of them.
package mailout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/listaddr"
	"mailer/internal/render"
	"mailer/internal/store"
)

// Store counts what was sent, for the caps. The counts live in the
// database, so they hold across short-lived `mailer receive` processes.
type Store interface {
	RecordReply(ctx context.Context, addr, budget string) error
	RepliesSince(ctx context.Context, addr, budget string, t time.Time) (int, error)
	// RecordCapped notes one mail a cap stopped (store.CapSite: held back
	// for a retry; store.CapAddress: dropped), for `mailer status`.
	RecordCapped(ctx context.Context, cap, budget string) error
}

// Transport hands one message to the MTA or smarthost.
type Transport interface {
	Send(ctx context.Context, envelopeFrom, to string, msg []byte) error
}

// Caps bound the mail sent per hour: to one address whatever asked for it,
// and in all per budget (store.BudgetMail, store.BudgetWeb), so that a form
// filled by a robot cannot use up what mail commands need. Zero is no cap.
type Caps struct {
	PerAddressHour int
	PerHour        map[string]int
}

// Options configure a Mailer.
type Options struct {
	Book   listaddr.Book
	Caps   Caps
	Now    func() time.Time
	Logger *slog.Logger
}

// Mailer composes and sends.
type Mailer struct {
	store Store
	out   Transport
	o     Options
}

// New returns a Mailer.
func New(s Store, out Transport, o Options) *Mailer {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Mailer{store: s, out: out, o: o}
}

// Book is where the list addresses come from.
func (m *Mailer) Book() listaddr.Book { return m.o.Book }

// ErrCapped marks mail not sent because a cap is reached. It comes as a
// fault.Unavailable: the same request succeeds later. Which cap it was is
// ErrSiteCapped or ErrAddressCapped, both of which are ErrCapped.
var ErrCapped = errors.New("answer cap reached")

// The two caps do different jobs. The site-wide cap (per budget) bounds
// what the site sends in all: when it stops a reader's request the request
// must wait, not be lost, so callers tell the MTA to try again later. The
// per-address cap stops one address being flooded (backscatter, or two
// robots answering each other): what it stops is dropped.
var (
	ErrSiteCapped    = fmt.Errorf("site-wide %w", ErrCapped)
	ErrAddressCapped = fmt.Errorf("per-address %w", ErrCapped)
)

// Room says whether one more mail from budget to addr is within the caps:
// nil, or a fault wrapping ErrAddressCapped or ErrSiteCapped (the
// per-address cap is checked first).
func (m *Mailer) Room(ctx context.Context, budget, addr string) error {
	if err := m.check(ctx, addr, "", m.o.Caps.PerAddressHour, 1); err != nil {
		return err
	}
	return m.check(ctx, "", budget, m.o.Caps.PerHour[budget], 1)
}

// SiteRoom says whether n more mails from budget fit the site-wide cap:
// a command mail checks the mails it will send before it sends any.
func (m *Mailer) SiteRoom(ctx context.Context, budget string, n int) error {
	return m.check(ctx, "", budget, m.o.Caps.PerHour[budget], n)
}

// check counts the last hour's mail to who (or, with who empty, from
// budget b) against limit, for n more. A refusal is logged and counted.
func (m *Mailer) check(ctx context.Context, who, b string, limit, n int) error {
	if limit <= 0 {
		return nil
	}
	sent, err := m.store.RepliesSince(ctx, who, b, m.o.Now().Add(-time.Hour))
	if err != nil || sent+n <= limit {
		return err
	}
	cause, scope, what := ErrSiteCapped, store.CapSite, "the hourly cap of "+b+" answers"
	if who != "" {
		cause, scope, what = ErrAddressCapped, store.CapAddress, "the hourly cap for one address"
	}
	if err := m.store.RecordCapped(context.WithoutCancel(ctx), scope, b); err != nil {
		m.o.Logger.Warn("capped mail not counted", "err", err)
	}
	if who != "" {
		m.o.Logger.Warn("mail dropped: "+what+" reached", "to", who, "cap", limit)
	} else {
		m.o.Logger.Warn("mail held back: "+what+" reached", "budget", b, "cap", limit, "needed", n)
	}
	return &fault.Error{Code: fault.Unavailable, Err: cause,
		Message: "we cannot send mail right now (" + what + " is reached); please try again in an hour"}
}

// Send hands msg to the transport if the caps allow, and counts it. A
// refused or failed hand-over is a fault.Unavailable and counts nothing.
func (m *Mailer) Send(ctx context.Context, budget, envelope, to string, msg []byte) error {
	if err := m.Room(ctx, budget, to); err != nil {
		return err
	}
	if err := m.out.Send(ctx, envelope, to, msg); err != nil {
		return fault.Wrap(fault.Unavailable, err, "send mail to %s", to)
	}
	return m.store.RecordReply(ctx, to, budget)
}

// Capped says whether err is a reached cap, either one.
func Capped(err error) bool { return errors.Is(err, ErrCapped) }

// SiteCapped says whether err is the site-wide cap: the request waits.
func SiteCapped(err error) bool { return errors.Is(err, ErrSiteCapped) }

// ListFrom is the From of a list's own mail: the list's From address if it
// has one, else its request address.
func (m *Mailer) ListFrom(l *store.List) string {
	if l.FromAddress != "" {
		if f, err := render.FormatMailbox(l.FromName, l.FromAddress); err == nil {
			return f
		}
	}
	f, _ := render.FormatMailbox(l.Title, m.o.Book.Request(l.Name))
	return f
}

// SiteFrom is the From of mail about no list: majordomo@.
func (m *Mailer) SiteFrom() string {
	f, _ := render.FormatMailbox("Majordomo", m.o.Book.Commands())
	return f
}

// Header is what differs between mailer's own mails.
type Header struct {
	From, To, Subject, ReplyTo, InReplyTo, References string
	// List headers (RFC 2369, 2919, 8058), for mail about a membership.
	ListID, ListUnsubscribeURL, ListUnsubscribeMailto, ListArchive string
	// Type is the mail type in the Feedback-ID (confirm, answer, notice,
	// ...); when empty it is told from the other fields (mailType).
	Type string
}

// mailType is the Feedback-ID mail type of h: its Type, else "answer" for
// a reply to a mail, "membership" for mail about one, "notice" for the rest.
func (h Header) mailType() string {
	switch {
	case h.Type != "":
		return h.Type
	case h.InReplyTo != "":
		return "answer"
	case h.ListUnsubscribeURL != "":
		return "membership"
	}
	return "notice"
}

// listName is the list h is about, read from its List-Id ("Title
// <LIST.HOST>"), or "" for mail about no list.
func (m *Mailer) listName(h Header) string {
	_, id, ok := strings.Cut(h.ListID, "<")
	if !ok {
		return ""
	}
	name, ok := strings.CutSuffix(strings.TrimSuffix(strings.TrimSpace(id), ">"), "."+m.o.Book.Host)
	if !ok {
		return ""
	}
	return name
}

// Compose builds a plain-text mail with the headers RFC 3834 asks of
// automatic responses and our loop marker, so that no robot answers it
// and no copy of mailer acts on it.
func (m *Mailer) Compose(h Header, body string) ([]byte, error) {
	for _, v := range []string{h.From, h.To, h.Subject, h.ReplyTo, h.InReplyTo, h.References, h.ListID,
		h.ListUnsubscribeURL, h.ListUnsubscribeMailto, h.ListArchive, h.Type} {
		if strings.ContainsAny(v, "\r\n") {
			return nil, fault.Errorf(fault.Invalid, "line break in a header value")
		}
	}
	id, err := render.NewMessageID(m.o.Book.Host)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	hdr := func(name, value string) {
		if value != "" {
			b.WriteString(render.FoldHeader(name, value))
		}
	}
	hdr("From", h.From)
	hdr("To", address.Wire(h.To))
	hdr("Subject", render.EncodeWords(h.Subject))
	hdr("Date", m.o.Now().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	hdr("Message-ID", "<"+id+">")
	hdr("Reply-To", h.ReplyTo)
	hdr("In-Reply-To", h.InReplyTo)
	hdr("References", h.References)
	hdr("List-Id", h.ListID)
	if h.ListUnsubscribeURL != "" {
		hdr("List-Unsubscribe", "<"+h.ListUnsubscribeURL+">, <mailto:"+h.ListUnsubscribeMailto+"?subject=unsubscribe>")
		hdr("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	if h.ListArchive != "" {
		hdr("List-Archive", "<"+h.ListArchive+">")
	}
	// Gmail's Feedback Loop: every mail of ours says its list and type.
	hdr("Feedback-ID", render.FeedbackID(0, m.listName(h), h.mailType()))
	hdr("Auto-Submitted", "auto-replied")
	hdr("X-Loop", m.o.Book.LoopMark())
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	b.Write(render.EncodeQP(body))
	return []byte(b.String()), nil
}
