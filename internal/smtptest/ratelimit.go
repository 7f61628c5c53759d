package smtptest

import (
	"fmt"
	"sync/atomic"

	"github.com/emersion/go-smtp"
	"golang.org/x/time/rate"
)

// RateLimit makes the server a relay with a sending rate: it accepts
// PerSecond messages a second (a token bucket holding one second's worth,
// as a provider's "maximum send rate" allows a second's burst) and answers
// the rest with Reply, at Stage, optionally closing the connection after
// the reply.
type RateLimit struct {
	PerSecond int
	// Stage is where a message over the rate is refused: "MAIL", "RCPT" or
	// "DATA" (after its text, where Amazon SES refuses it). Default DATA.
	Stage string
	Reply smtp.SMTPError
	// Close ends the connection right after the reply, as Gmail and
	// Microsoft do with their 421.
	Close bool
}

// The throttle replies of the big relays, in their own words (their
// documentation: see testdata/README.md of internal/delivery).
var (
	// SESThrottle is Amazon SES's answer over its maximum sending rate,
	// after DATA; the session stays open.
	SESThrottle = RateLimit{Stage: "DATA", Reply: smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0},
		Message: "Throttling failure: Maximum sending rate exceeded."}}
	// GmailThrottle is Gmail's 421 4.7.0, which closes the connection.
	GmailThrottle = RateLimit{Stage: "RCPT", Close: true, Reply: smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0},
		Message: "Try again later, closing connection."}}
)

// limiter is a running RateLimit.
type limiter struct {
	RateLimit
	bucket    *rate.Limiter
	throttled *atomic.Int64
}

func newLimiter(r *RateLimit, counter *atomic.Int64) *limiter {
	if r == nil || r.PerSecond <= 0 {
		return nil
	}
	l := &limiter{RateLimit: *r, bucket: rate.NewLimiter(rate.Limit(r.PerSecond), r.PerSecond), throttled: counter}
	if l.Stage == "" {
		l.Stage = "DATA"
	}
	return l
}

// check spends a message's token at stage, or answers it with the
// throttle reply (writing it first and closing the connection when the
// relay closes).
func (l *limiter) check(ss *session, stage string) error {
	if l == nil || l.Stage != stage || l.bucket.Allow() {
		return nil
	}
	l.throttled.Add(1)
	if !l.Close {
		return &l.Reply
	}
	// go-smtp writes a handler's reply after it returns; a relay that
	// hangs up says its last word first.
	c := l.Reply.EnhancedCode
	fmt.Fprintf(ss.conn.Conn(), "%d %d.%d.%d %s\r\n", l.Reply.Code, c[0], c[1], c[2], l.Reply.Message)
	ss.conn.Close()
	return &l.Reply
}
