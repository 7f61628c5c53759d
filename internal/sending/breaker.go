package sending

import (
	"fmt"
	"strconv"
	"sync"

	"mailer/internal/config"
	"mailer/internal/delivery"
)

// The circuit breaker: a send that harms the list stops itself. A stale
// list (many addresses refused for good) or mail its readers report as
// spam is how a sender gets onto blocklists, and every further attempt
// makes it worse, so the run pauses the send and a person decides.
//
// Hard bounces are judged over a sliding window of the latest attempts,
// not the whole send: a running total (listmonk's error counter) keeps
// counting one bad minute for the rest of the send and trips a healthy
// send later, which makes people turn the breaker off. The window also
// catches a bad stretch late in a long send, which a whole-send rate
// would dilute.

// BreakerPolicy is when a send stops itself. Rates are percentages; a rate
// of 0 turns its check off.
type BreakerPolicy struct {
	BounceRate    float64 // hard bounces per 100 attempts in the window
	ComplaintRate float64 // spam complaints per 100 messages delivered
	MinAttempts   int     // nothing is judged on fewer attempts (or deliveries) than this
	Window        int     // the bounce rate is over the latest this many attempts
}

// BreakerPolicyOf is the policy the [send] section sets.
func BreakerPolicyOf(s config.Send) BreakerPolicy {
	return BreakerPolicy{BounceRate: s.BreakerBounceRate, ComplaintRate: s.BreakerComplaintRate,
		MinAttempts: s.BreakerMinAttempts, Window: s.BreakerWindow}
}

// Breaker judges one run's results. Record and Complaints may be called
// from any goroutine; once tripped it stays tripped (the run stops).
type Breaker struct {
	p BreakerPolicy

	mu      sync.Mutex
	ring    []bool // the window's attempts, oldest overwritten: true is a hard bounce
	next    int    // where the next attempt goes in ring
	filled  int    // attempts in ring
	bounced int    // hard bounces in ring
	seq     int    // attempts counted since the run began
	late    lateBounces
	rate    float64
	reason  string // why it tripped; empty: it has not
}

// NewBreaker returns a breaker with policy p. A window smaller than the
// minimum sample could never judge, so it grows to the sample.
func NewBreaker(p BreakerPolicy) *Breaker {
	p.MinAttempts = max(p.MinAttempts, 1)
	p.Window = max(p.Window, p.MinAttempts)
	return &Breaker{p: p, ring: make([]bool, p.Window)}
}

// hardBounce says whether r is an attempt the bounce rate counts and
// whether it was refused for good. Delivered mail and 5xx refusals count;
// 4xx replies (deferred or throttled: the receiver asks us to slow down,
// RFC 5321 4.2.1) never do, nor failures that are not the reader's (a
// message we could not send through this server) or not attempted.
func hardBounce(r delivery.Result) (hard, counted bool) {
	switch {
	case r.Outcome == delivery.Sent:
		return false, true
	case r.Outcome == delivery.Failed && r.Permanent && is5xx(r.Reply):
		return true, true
	}
	return false, false
}

// is5xx says whether a reply starts with a 5yz code (RFC 5321 4.2.1:
// permanent negative completion).
func is5xx(reply string) bool {
	if len(reply) < 3 || reply[0] != '5' {
		return false
	}
	n, err := strconv.Atoi(reply[:3])
	return err == nil && n >= 500 && n <= 599
}

// Record counts one result; it reports whether the breaker is tripped.
func (b *Breaker) Record(r delivery.Result) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.reason != "" || b.p.BounceRate <= 0 {
		return b.reason != ""
	}
	hard, counted := hardBounce(r)
	if !counted {
		return false
	}
	if b.filled == len(b.ring) {
		if b.ring[b.next] {
			b.bounced--
		}
	} else {
		b.filled++
	}
	b.ring[b.next] = hard
	if hard {
		b.bounced++
	}
	b.next = (b.next + 1) % len(b.ring)
	b.seq++
	b.late.forget(b.seq - len(b.ring))
	return b.judgeBounces()
}

// judgeBounces trips the breaker when the window's hard bounces, those
// refused at once and those reported by mail since, pass the limit.
func (b *Breaker) judgeBounces() bool {
	if b.filled < b.p.MinAttempts {
		return false
	}
	hard := min(b.bounced+b.late.sum, b.filled)
	if rate := percent(hard, b.filled); rate > b.p.BounceRate {
		b.rate = rate
		how := "were refused for good"
		if b.late.sum > 0 {
			how = fmt.Sprintf("bounced for good (%d refused when sent, %d reported by bounce mail since)", b.bounced, b.late.sum)
		}
		b.reason = fmt.Sprintf("circuit breaker: %d of the last %d attempts %s (%s hard bounces, over the limit of %s)",
			hard, b.filled, how, Percent(rate), Percent(b.p.BounceRate))
	}
	return b.reason != ""
}

// Complaints judges the send's spam complaints so far against the messages
// it delivered; it reports whether the breaker is tripped. Gmail's bulk
// sender rules ask senders never to reach a spam rate of 0.3%, the
// default limit.
func (b *Breaker) Complaints(complaints, delivered int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.reason != "" || b.p.ComplaintRate <= 0 || delivered < b.p.MinAttempts {
		return b.reason != ""
	}
	if rate := percent(complaints, delivered); rate > b.p.ComplaintRate {
		b.rate = rate
		b.reason = fmt.Sprintf("circuit breaker: %d spam complaint(s) for %d messages delivered (%s, over the limit of %s)",
			complaints, delivered, Percent(rate), Percent(b.p.ComplaintRate))
	}
	return b.reason != ""
}

// Tripped returns the rate (a percentage) and the reason the breaker
// tripped for; an empty reason: it has not.
func (b *Breaker) Tripped() (rate float64, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rate, b.reason
}

func percent(n, of int) float64 { return 100 * float64(n) / float64(of) }

// Percent writes a percentage for people: 41%, 10.5%, 0.35%.
func Percent(p float64) string {
	s := strconv.FormatFloat(p, 'f', 2, 64)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s + "%"
}
