// Package delivery sends a prepared issue to the recipients in a queue: N
// workers, each on one long-lived connection, paced by one token bucket and
// the provider's hourly and daily caps, recording every outcome in the
// queue as it happens so that a stopped or crashed send resumes without
// losing or repeating mail.
//
// The package declares what it needs, Queue and Transport, and knows
// neither SQLite nor SMTP; the cli package wires the store and a transport in.
package delivery

import (
	"context"
	"time"
)

// Job is one message to deliver: a row of the queue.
type Job struct {
	ID           int64
	SubscriberID int64
	Address      string
	Name         string
	MessageID    string
	Attempts     int       // delivery attempts made before this one
	QueuedAt     time.Time // when the send put it in the queue; max age counts from here
}

// Outcome is what became of an attempt.
type Outcome string

// Outcomes, matching the queue's states.
const (
	Sent     Outcome = "sent"
	Deferred Outcome = "deferred" // try again at Result.NextAttempt
	Failed   Outcome = "failed"   // given up: a 5xx, or too old
	Requeue  Outcome = "queued"   // not attempted (stopping, no connection): back in line, no attempt counted
)

// Result records one attempt.
type Result struct {
	JobID     int64
	Outcome   Outcome
	Reply     string // the server's reply or the error, for status and bounce bookkeeping
	Permanent bool   // a 5xx: the address is bad, which counts against the member
	// Throttled: the relay asked us to slow down (ReplyError.Throttle). It
	// says nothing about the address or the message, so it never counts as
	// a failure or a bounce; the message is back in line (Requeue).
	Throttled bool
	// Pace is the rate the relay's throttles taught the sender, in
	// messages a second, when the result was recorded; 0 while the sender
	// holds nothing back beyond the configured rate.
	Pace        float64
	NextAttempt time.Time // for Deferred
	At          time.Time
}

// Counts are the queue's rows by state.
type Counts struct {
	Queued   int `json:"queued"`
	Sending  int `json:"sending"`
	Sent     int `json:"sent"`
	Deferred int `json:"deferred"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"` // the reader had left when the message's turn came
}

// Total is the number of rows.
func (c Counts) Total() int { return c.Queued + c.Sending + c.Sent + c.Deferred + c.Failed + c.Skipped }

// Pending is the number of rows not yet finished.
func (c Counts) Pending() int { return c.Queued + c.Sending + c.Deferred }

// Queue is the persistent delivery queue of one send.
type Queue interface {
	// Exchange records results and claims up to want jobs that are due at
	// now (moving them to "sending"), in one transaction.
	Exchange(ctx context.Context, results []Result, want int, now time.Time) ([]Job, error)
	// NextDue reports when the earliest deferred job becomes due, and
	// whether any job is still queued or deferred.
	NextDue(ctx context.Context) (next time.Time, pending bool, err error)
	// Counts returns the rows by state.
	Counts(ctx context.Context) (Counts, error)
}

// Transport opens sessions with the mail system.
type Transport interface {
	// Dial opens a session. An error here is about the server or the
	// configuration (host, port, TLS, password), never about a recipient.
	Dial(ctx context.Context) (Session, error)
}

// Envelope is the SMTP envelope of one message.
type Envelope struct {
	From, To string
}

// Session delivers messages over one connection.
type Session interface {
	// Send delivers msg from env.From to env.To. A rejection by the server
	// is a *ReplyError; any other error means the session is no longer
	// usable.
	//
	// gate, when not nil, is called once the message is written, just
	// before its end (the final "." of DATA, or the last BDAT chunk), after
	// which the server has it; a gate error abandons the message
	// undelivered (and the session with it). The sender uses the gate to
	// record the last message while this one travels, never having more
	// than one delivered-but-unrecorded message per connection, and to
	// compose and sign the next one meanwhile. Wrappers must pass the gate
	// on: it is the crash guarantee.
	//
	// The gate returns the envelope of the message this session will carry
	// next, or nil. A session that pipelines announces it behind this
	// message's end, so that each message costs one round trip; the next
	// Send must then be for that envelope, or the session be closed (which
	// abandons the announced transaction without delivering anything).
	Send(env Envelope, msg []byte, gate Gate) error
	// Close ends the session politely (QUIT) and releases the connection.
	Close() error
}

// Gate holds the end of a message; see Session.
type Gate func() (next *Envelope, err error)

// Composer builds the message for a job, appending it to buf.
type Composer func(j Job, buf []byte) (msg []byte, envelopeFrom string, err error)
