// Package esphooks takes the bounce and complaint webhooks of the relays
// (ESPs) owners send through: Amazon SES over SNS, Postmark, SendGrid and
// Mailgun. Each provider is one Provider: it verifies the request the way
// the provider signs it and returns the events, mapped to mailer's kinds
// (a permanent failure is a hard bounce, a transient one soft, a spam
// report a complaint, the ESP's own unsubscribe an unsubscribe). The
// Handler mounts /hooks/NAME for the configured providers and hands every
// event to a Sink; a fifth provider is one more file.
package esphooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"mailer/internal/fault"
)

// Kind is what an event does to the member.
type Kind int

// Kinds of events.
const (
	HardBounce  Kind = iota + 1 // a permanent failure: scores as a hard bounce
	SoftBounce                  // a transient failure: scores as a soft bounce
	Complaint                   // a spam report: the member is stopped as complained
	Unsubscribe                 // the ESP's own unsubscribe: the member leaves
)

func (k Kind) String() string {
	switch k {
	case HardBounce:
		return "hard bounce"
	case SoftBounce:
		return "soft bounce"
	case Complaint:
		return "complaint"
	case Unsubscribe:
		return "unsubscribe"
	}
	return fmt.Sprintf("kind %d", int(k))
}

// Event is one recipient's outcome as the provider reports it, with what
// the provider echoes of the message mailer sent, so that the Sink finds
// the member and the send: the envelope sender (mailer's VERP return path,
// see listaddr), the List-Unsubscribe header (its per-member token), the
// Message-ID. Any of them may be empty; Recipient never is.
type Event struct {
	Provider        string
	Kind            Kind
	Recipient       string
	ReturnPath      string
	ListUnsubscribe string
	MessageID       string // without angle brackets
	Diagnostic      string // the receiver's reply or the provider's reason
	FeedbackType    string // complaints: RFC 5965 Feedback-Type when known (abuse, fraud, ...)
	ID              string // the provider's id of the event, for the log
	At              time.Time
}

// Provider verifies one provider's webhook request and reads its events.
// body is the whole request body, already read. An error made with
// unauthenticated or forbidden refuses the request as 401 or 403; any other
// is answered by its fault code. No event is returned with an error.
type Provider interface {
	Name() string
	Events(r *http.Request, body []byte) ([]Event, error)
}

// Sink applies one event: scores the bounce, stops the complainer, takes
// the unsubscribe. Declared here, implemented over the bounce service.
type Sink interface {
	Apply(ctx context.Context, ev Event) error
}

// Forgetter is a Provider that remembers requests to refuse replays
// (Mailgun's tokens, SNS message ids): Forget lets the same request in
// again when its events could not be applied, so that the provider's retry
// is not refused as a replay.
type Forgetter interface {
	Forget(r *http.Request, body []byte)
}

var (
	errUnauthenticated = errors.New("unauthenticated")
	errForbidden       = errors.New("forbidden")
)

// unauthenticated refuses a request without credentials (401).
func unauthenticated(format string, args ...any) error {
	return &fault.Error{Code: fault.Invalid, Message: fmt.Sprintf(format, args...), Err: errUnauthenticated}
}

// forbidden refuses a request whose signature or credentials are wrong,
// stale or replayed (403).
func forbidden(format string, args ...any) error {
	return &fault.Error{Code: fault.Invalid, Message: fmt.Sprintf(format, args...), Err: errForbidden}
}

// invalid refuses a payload that does not parse (400).
func invalid(format string, args ...any) error {
	return fault.Errorf(fault.Invalid, format, args...)
}

// trimID drops the angle brackets and spaces around a Message-ID.
func trimID(s string) string {
	return strings.Trim(strings.TrimSpace(s), "<>")
}
