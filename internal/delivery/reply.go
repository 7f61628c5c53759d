package delivery

import (
	"errors"
	"fmt"
	"regexp"
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

// Throttle reports a reply that asks the client to send more slowly,
// rather than refusing this message or this recipient: any 421 (RFC 5321
// 3.8: the server is closing the channel, Gmail's and Microsoft's way to
// push back), a 450, 451 or 454 with an enhanced code of the security or
// policy class 4.7.x (RFC 3463; Microsoft's 451 4.7.500 "Server busy"),
// or a 4xx worded the way relays word a rate limit (Amazon SES's "454
// Throttling failure: Maximum sending rate exceeded", Gmail's "unusual
// rate", "too many ..."). Greylisting, which wants the same message again
// minutes later, is not a throttle, nor is a quota (SES's "Daily message
// quota exceeded", a full mailbox): those wait on the retry schedule.
func (e *ReplyError) Throttle() bool {
	if !e.Temporary() {
		return false
	}
	text := strings.ToLower(e.Message)
	switch {
	case strings.Contains(text, "greylist") || strings.Contains(text, "graylist"):
		return false
	case strings.Contains(text, "quota"):
		return false // a daily quota or a full mailbox: slowing down does not help
	case e.Code == 421:
		return true
	case (e.Code == 450 || e.Code == 451 || e.Code == 454) && strings.HasPrefix(e.Enhanced, "4.7."):
		return true
	}
	return throttleWords.MatchString(strings.ReplaceAll(text, "too many recipients", ""))
}

// throttleWords are the usual words of a rate limit in a reply's text.
var throttleWords = regexp.MustCompile(`throttl|\brate\b|rate[ -]?limit|\btoo many\b|too fast|slow down`)

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
	throttle  bool // the server asks us to slow down (see ReplyError.Throttle)
	reply     string
}

// classify maps the result of Session.Send to what the queue records:
// 2xx sent; a throttle back in line at once, without an attempt counted
// (the sender slows down; see throttle.go), reconnecting after a 421; 4xx
// deferred; 5xx to a recipient
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
	case re.Throttle():
		c.outcome, c.throttle, c.reconnect = Requeue, true, re.Code == 421
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
