package delivery

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ReplyError is a rejection by the mail server: a reply code, the enhanced
// status code when the server sent one (RFC 3463), and its text.
type ReplyError struct {
	Stage    string // MAIL, RCPT or DATA
	Code     int
	Enhanced string
	Message  string
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("%s: %d %s", e.Stage, e.Code, e.Message)
}

// Temporary reports a 4xx reply: try again later.
func (e *ReplyError) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// DialError wraps a failure to open a session: the server, the network or
// the configuration, never a recipient.
type DialError struct{ Err error }

func (e *DialError) Error() string {
	return "cannot open a session with the mail server: " + e.Err.Error()
}
func (e *DialError) Unwrap() error { return e.Err }

// classification says what to do after an attempt.
type classification struct {
	outcome   Outcome
	permanent bool
	reconnect bool // the session is unusable or the server asked us to go
	senderBad bool // the server refused our envelope sender: no recipient is at fault
	reply     string
}

// classify maps the result of Session.Send to what the queue records:
// 2xx sent; 4xx deferred; 421 deferred and reconnect; 5xx to a recipient
// failed for good; 5xx to MAIL FROM is about us, not the recipient, so the
// job goes back in line; an *UnsendableError fails, not counted against
// the reader; anything else (a dropped connection, a timeout) deferred and
// reconnect.
func classify(err error) classification {
	if err == nil {
		return classification{outcome: Sent, reply: "250 accepted"}
	}
	var ue *UnsendableError
	if errors.As(err, &ue) {
		return classification{outcome: Failed, reply: oneLine(ue.Error())}
	}
	var re *ReplyError
	if !errors.As(err, &re) {
		return classification{outcome: Deferred, reconnect: true, reply: oneLine(err.Error())}
	}
	c := classification{reply: oneLine(fmt.Sprintf("%d %s", re.Code, re.Message))}
	switch {
	case re.Code == 421:
		c.outcome, c.reconnect = Deferred, true
	case re.Temporary():
		c.outcome = Deferred
	case re.Stage == "MAIL":
		c.outcome, c.senderBad, c.reconnect = Requeue, true, true
	case re.Code >= 500:
		c.outcome, c.permanent = Failed, true
	default:
		c.outcome, c.reconnect = Deferred, true
	}
	return c
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// backoff returns the wait before attempt number attempts+1 (attempts
// already made, at least 1): the schedule's entry, the last one repeating.
func backoff(schedule []time.Duration, attempts int) time.Duration {
	if len(schedule) == 0 {
		return 5 * time.Minute
	}
	i := attempts - 1
	if i < 0 {
		i = 0
	}
	if i >= len(schedule) {
		i = len(schedule) - 1
	}
	return schedule[i]
}

// UnsendableError says a message cannot go to its recipient through this
// server at all, for a reason of ours or the server's abilities, not the
// reader's: an address with a non-ASCII local part and no SMTPUTF8 on
// offer. The message fails; it is not the reader's bounce.
type UnsendableError struct{ Reason string }

func (e *UnsendableError) Error() string { return "not sent: " + e.Reason }
