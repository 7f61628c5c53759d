package sending

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"mailer/internal/delivery"
	"mailer/internal/store"
)

// ReportCount counts reports received so far against one send: spam
// complaints (feedback reports, RFC 5965), or hard bounces by mail.
type ReportCount func(ctx context.Context, sendID int64) (int, error)

// BreakerNotifier tells a list's owners that the circuit breaker paused a
// send, with the rate and the reason.
type BreakerNotifier interface {
	NotifyBreaker(ctx context.Context, l *store.List, send *store.Send, rate float64, reason string) error
}

// BreakerHooks are the circuit breaker's inputs and outputs besides the
// [send] thresholds. Any may be nil: no complaints or bounce reports are
// counted, nobody is mailed (the pause and its reason still show in sends
// ls and status).
type BreakerHooks struct {
	Notice     BreakerNotifier
	Complaints ReportCount
	Bounces    ReportCount // hard bounce reports tied to the send (breaker_late.go)
}

// reportEvery is how many deliveries pass between two counts of the
// send's complaints and bounce reports: a query each time, and reports
// arrive slowly.
const reportEvery = 100

// guard is one run's circuit breaker: it records each result, counts the
// complaints now and then, and on a trip pauses the send with the reason
// and stops the run after the messages in flight. The window starts with
// the run, so a resumed send (--force) is judged on what it does from
// there, not on the stretch that tripped it.
type guard struct {
	b     *Breaker
	db    *store.DB
	send  int64
	hooks BreakerHooks
	say   func(string)
	stop  func() // ends the run; set by deliver

	once      sync.Once
	delivered int         // the send's deliveries: before this run and in it
	sinceLast int         // deliveries since the reports were last counted
	paused    atomic.Bool // this run paused the send
}

func (p *Plan) newGuard(send *store.Send, o RunOptions) *guard {
	return &guard{b: NewBreaker(BreakerPolicyOf(p.Job.Config.Send)), db: p.Job.DB, send: send.ID,
		hooks: o.Breaker, say: o.Progress.Say, stop: func() {}, delivered: send.Counts.Sent}
}

// start sets the base of the bounce reports: those that came before this
// run are not judged again.
func (g *guard) start(ctx context.Context) { g.countBounces(ctx) }

// record judges r; it is called from the sender's one result goroutine.
func (g *guard) record(ctx context.Context, r delivery.Result) {
	tripped := g.b.Record(r)
	if r.Outcome == delivery.Sent {
		g.delivered++
		if g.sinceLast++; !tripped && g.sinceLast >= reportEvery {
			g.sinceLast = 0
			tripped = g.countBounces(ctx) || g.countComplaints(ctx)
		}
	}
	if tripped {
		g.once.Do(func() { g.trip(ctx) })
	}
}

func (g *guard) countBounces(ctx context.Context) bool {
	if g.hooks.Bounces == nil {
		return false
	}
	n, err := g.hooks.Bounces(ctx, g.send)
	if err != nil {
		g.say(fmt.Sprintf("could not count the bounce reports of send #%d: %v", g.send, err))
		return false
	}
	return g.b.LateBounces(n)
}

func (g *guard) countComplaints(ctx context.Context) bool {
	if g.hooks.Complaints == nil {
		return false
	}
	n, err := g.hooks.Complaints(ctx, g.send)
	if err != nil {
		g.say(fmt.Sprintf("could not count the complaints against send #%d: %v", g.send, err))
		return false
	}
	// The store's count lags this run's by the results not yet recorded;
	// it is ahead when other workers deliver the send too.
	c, err := g.db.Queue(g.send).Counts(ctx)
	if err != nil {
		g.say(fmt.Sprintf("could not count the messages of send #%d: %v", g.send, err))
		return false
	}
	return g.b.Complaints(n, max(c.Sent, g.delivered))
}

// trip pauses the send with the reason, then stops the run: other
// workers (joined ones) see the pause and stop too.
func (g *guard) trip(ctx context.Context) {
	_, reason := g.b.Tripped()
	if err := g.db.PauseFor(context.WithoutCancel(ctx), g.send, reason); err != nil {
		g.say(fmt.Sprintf("the circuit breaker could not pause send #%d (%s): %v", g.send, reason, err))
		return
	}
	g.paused.Store(true)
	g.say(fmt.Sprintf("Send #%d paused itself: %s.", g.send, reason))
	g.stop()
}

// notify tells the owners, once the run has stopped, that the breaker
// paused the send; a failure is said, not returned: the pause stands and
// shows in sends ls and status either way.
func (g *guard) notify(ctx context.Context, l *store.List) {
	if !g.paused.Load() || g.hooks.Notice == nil {
		return
	}
	send, err := g.db.GetSend(ctx, g.send)
	if err == nil {
		rate, reason := g.b.Tripped()
		err = g.hooks.Notice.NotifyBreaker(ctx, l, send, rate, reason)
	}
	if err != nil {
		g.say(fmt.Sprintf("could not tell the owners of %s that send #%d paused itself: %v", l.Name, g.send, err))
	}
}
