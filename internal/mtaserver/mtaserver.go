// Package mtaserver is the listener the MTA hands mailer's mail to: LMTP
// (RFC 2033), or SMTP, over go-smtp, in front of the inbound handler. It
// refuses at RCPT what the handler would refuse, and maps the handler's
// errors to SMTP replies; everything else is the handler's.
package mtaserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/inbound"
	"mailer/internal/listaddr"
)

// Handler is the inbound handler (package inbound).
type Handler interface {
	Accept(ctx context.Context, rcpt string) (listaddr.Route, error)
	Handle(ctx context.Context, d inbound.Delivery) (inbound.Result, error)
}

// Options configure a listener.
type Options struct {
	LMTP            bool   // LMTP (one answer per recipient) rather than SMTP
	Domain          string // the name in the greeting: the list host
	MaxMessageBytes int64
	Logger          *slog.Logger // nil: discard
}

// New returns a server for h; the caller serves it on a listener.
func New(h Handler, o Options) *smtp.Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := smtp.NewServer(&backend{h: h, log: o.Logger})
	s.LMTP = o.LMTP
	s.Domain = o.Domain
	s.MaxMessageBytes = o.MaxMessageBytes
	s.MaxRecipients = 100
	s.ReadTimeout, s.WriteTimeout = 5*time.Minute, time.Minute
	return s
}

// backend adapts the handler to go-smtp.
type backend struct {
	h   Handler
	log *slog.Logger
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{b: b, ctx: context.Background()}, nil
}

type session struct {
	b      *backend
	ctx    context.Context
	sender string
	rcpts  []string // as given, once per RCPT: LMTP answers each
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.sender = from
	return nil
}

// Rcpt refuses addresses that are not ours, and posts to announce-only
// lists, before the message is sent.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if _, err := s.b.h.Accept(s.ctx, to); err != nil {
		return Reply(err)
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	// Over SMTP one answer covers every recipient: a temporary failure for
	// any makes the MTA send the whole message again.
	for _, rcpt := range unique(s.rcpts) {
		if err := s.handle(rcpt, raw); err != nil {
			return err
		}
	}
	return nil
}

// LMTPData answers for each recipient (RFC 2033 §4.2).
func (s *session) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	// One handling per address, however often (and in whatever case) it
	// was named; every RCPT still gets its own reply, the one its address
	// earned (RFC 2033 §4.2: one reply per successful RCPT).
	done := make(map[string]error, len(s.rcpts))
	for _, rcpt := range s.rcpts {
		key := address.Key(rcpt)
		err, handled := done[key]
		if !handled {
			err = s.handle(rcpt, raw)
			done[key] = err
		}
		status.SetStatus(rcpt, err)
	}
	return nil
}

// unique is rcpts with each address once (case-insensitively, as mailer
// keys addresses), in the order given: a mail that names majordomo a
// hundred times is one mail to majordomo, run and answered once.
func unique(rcpts []string) []string {
	seen := make(map[string]bool, len(rcpts))
	var out []string
	for _, r := range rcpts {
		if k := address.Key(r); !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

func (s *session) handle(rcpt string, raw []byte) error {
	res, err := s.b.h.Handle(s.ctx, inbound.Delivery{Recipient: rcpt, Sender: s.sender, SenderKnown: true, Raw: raw})
	if err != nil {
		s.b.log.Error("mail not handled", "rcpt", rcpt, "err", err)
		return Reply(err)
	}
	s.b.log.Info("mail handled", "rcpt", rcpt, "outcome", res.Outcome, "detail", res.Detail)
	return nil
}

func (s *session) Reset() { s.sender, s.rcpts = "", nil }

func (s *session) Logout() error { return nil }

// Reply maps a handler error to an SMTP reply. Only two are permanent, so
// that the MTA bounces them with our reason: an address that is none of
// ours (550 5.1.1, RFC 3463 "bad destination mailbox address") and a post
// to an announce-only list (550 5.7.1, "delivery not authorized"). Anything
// else — a busy database, a bug — is 451 4.3.0: the MTA keeps the mail and
// tries again, so no command is lost, and a stranger reads nothing of our
// internals. The site-wide answer cap is 451 4.7.1 (RFC 3463: "delivery
// not authorized", here for now): the request waits in the MTA's queue
// until the hour's budget allows it.
func Reply(err error) *smtp.SMTPError {
	msg := strings.Join(strings.Fields(fault.MessageOf(err)), " ")
	switch {
	case errors.Is(err, inbound.ErrAnnounceOnly):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: msg}
	case errors.Is(err, inbound.ErrUnknownRecipient):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: msg}
	case errors.Is(err, inbound.ErrHeld):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "too many answers this hour, try again later"}
	}
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "temporary problem, try again later"}
}
