package sending

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// Progress is told what a run does. The terminal's bar and the daemon's
// log lines implement it.
type Progress interface {
	// Begin is called once the queue is known, with its counts.
	Begin(c delivery.Counts)
	Result(j delivery.Job, r delivery.Result)
	Pause(until time.Time) // the hourly or daily cap holds sending back
	Wait(next time.Time)   // only deferred messages are left
	Say(line string)       // a line for the person or the log
	End()
}

// Refusals counts a permanent refusal while sending as a hard bounce (the
// bounce service).
type Refusals interface {
	Refusal(ctx context.Context, l *store.List, addr, reply string) (store.BounceUpdate, error)
}

// Observer is told each recorded outcome of a send to list (the metrics).
// It is called from the sender's one recording goroutine and must not
// block.
type Observer interface {
	Delivery(list string, r delivery.Result)
}

// RunOptions are what a run needs besides the plan.
type RunOptions struct {
	Progress     Progress
	Refusals     Refusals
	Observer     Observer // nil: nobody is told
	ResendFailed bool
	Now          func() time.Time
	// Join delivers a running send together with the process that holds
	// its lease and any other joined workers.
	Join bool
	// Breaker is who hears of a send the circuit breaker paused, and the
	// complaints it counts (breaker_run.go).
	Breaker BreakerHooks
}

// Outcome is what a run ended with.
type Outcome struct {
	Send     int64
	Counts   delivery.Counts
	Finished bool // nothing left to deliver; archived
}

// leaseFor is how long a lease lasts without renewal: a crashed process's
// lease lapses this long after its last renewal.
const leaseFor = 30 * time.Second

// Run starts the send or resumes it, holds its lease while it delivers,
// and finishes and archives it when nothing is left. With o.Join it
// delivers a running send beside the process that holds the lease (and
// any others), claiming rows in its own name. A run that stops with
// messages left (cancelled, deferred past the wait, the lease lost) says
// so in its error, a fault.Unavailable: running again resumes.
func (p *Plan) Run(ctx context.Context, o RunOptions) (Outcome, error) {
	db := p.Job.DB
	owner := LeaseOwner()
	release, err := db.HoldWorker(ctx, owner)
	if err != nil {
		return Outcome{}, err
	}
	defer release()
	var send *store.Send
	if o.Join {
		send, err = p.joinable(ctx)
	} else {
		send, err = p.start(ctx, o, owner)
	}
	if err != nil {
		return Outcome{}, err
	}
	if !o.Join {
		defer db.ReleaseLease(context.WithoutCancel(ctx), send.ID, owner)
	}
	// The issue's files first: the images in the mail load from there.
	if err := p.Publish(ctx); err != nil {
		return Outcome{Send: send.ID}, err
	}
	g := p.newGuard(send, o)
	g.start(ctx)
	runErr, err := p.deliver(ctx, o, send, owner, g)
	if err != nil {
		return Outcome{}, err
	}
	return p.end(ctx, o, send, runErr, g)
}

// deliver runs the sender on send's queue as owner, renewing the lease
// (unless joining) and the claims on the rows in flight meanwhile; the
// circuit breaker g may stop it.
func (p *Plan) deliver(ctx context.Context, o RunOptions, send *store.Send, owner string, g *guard) (error, error) {
	db := p.Job.DB
	// The helper below stops with the run, and deliver waits for it, so
	// nothing writes or touches the database after it returns.
	runCtx, cancelRun := context.WithCancel(ctx)
	var helpers sync.WaitGroup
	defer func() { cancelRun(); helpers.Wait() }()
	leaseLost := make(chan error, 1)
	helpers.Add(1)
	go func() {
		defer helpers.Done()
		renew(runCtx, db, send.ID, owner, !o.Join, o.Now, leaseLost, cancelRun)
	}()
	g.stop = cancelRun
	sender, err := p.sender(ctx, send, owner, o, g)
	if err != nil {
		return nil, err
	}
	runErr := sender.Run(runCtx)
	o.Progress.End()
	select {
	case err := <-leaseLost:
		runErr = err
	default:
	}
	return runErr, nil
}

// end finishes and archives the send when nothing is left, or says why the
// run stopped and how it resumes.
func (p *Plan) end(ctx context.Context, o RunOptions, send *store.Send, runErr error, g *guard) (Outcome, error) {
	db := p.Job.DB
	final, err := db.Queue(send.ID).Counts(context.WithoutCancel(ctx))
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Send: send.ID, Counts: final}
	if runErr == nil && final.Pending() == 0 {
		out.Finished = true
		finished, err := db.FinishSend(context.WithoutCancel(ctx), send.ID)
		if err != nil || !finished {
			return out, err // another worker finished it
		}
		return out, p.archive(context.WithoutCancel(ctx), o.Now)
	}
	resume := "mailer send " + p.Job.Issue.Slug
	if paused, _ := db.Paused(context.WithoutCancel(ctx), send.ID); paused {
		if _, reason := g.b.Tripped(); reason != "" && g.paused.Load() {
			g.notify(context.WithoutCancel(ctx), p.Job.List)
			return out, fault.Errorf(fault.Unavailable, "send #%d paused itself (%s); nothing was lost. Look at mailer status; once you have seen to it, it goes on after: mailer sends resume %d --force",
				send.ID, reason, send.ID)
		}
		return out, fault.Errorf(fault.Unavailable, "send #%d is paused; nothing was lost. It goes on after: mailer sends resume %d", send.ID, send.ID)
	}
	if ctx.Err() != nil {
		return out, fault.Errorf(fault.Unavailable, "stopped; everything sent so far is recorded. Resume with: %s", resume)
	}
	if runErr == nil {
		runErr = errors.New("the send ended with messages left")
	}
	return out, fault.Explain(fault.Unavailable, runErr, "%v\nNothing was lost; resume with: %s", runErr, resume)
}

// joinable is the running send a joining worker delivers with the others.
func (p *Plan) joinable(ctx context.Context) (*store.Send, error) {
	s := p.Existing
	if s == nil || s.State != store.SendSending {
		return nil, fault.Errorf(fault.Invalid, "%s to %s is not being sent: nothing to join (start it with mailer send %s)",
			p.Job.Issue.Slug, p.Job.List.Name, p.Job.Issue.Slug)
	}
	if s.ContentHash != p.Hash {
		return nil, fault.Errorf(fault.Invalid, "send #%d was started with a different version of %s: join with the same issue file", s.ID, p.Job.Issue.Slug)
	}
	return s, nil
}

// start creates the send, or takes the lease of the one to resume and
// recovers the rows a killed run left in flight.
func (p *Plan) start(ctx context.Context, o RunOptions, owner string) (*store.Send, error) {
	db, cfg, l := p.Job.DB, p.Job.Config, p.Job.List
	if p.Existing == nil {
		nonce := make([]byte, 8)
		rand.Read(nonce)
		send, err := db.StartSend(ctx, store.NewSend{Issue: p.Job.Issue.Slug, ListID: l.ID, Subject: p.Rendered.Subject,
			ContentHash: p.Hash, MsgIDNonce: p.Job.Issue.Slug + "." + hex.EncodeToString(nonce), MsgIDDomain: string(cfg.ListHost),
			LeaseOwner: owner, LeaseUntil: o.Now().Add(leaseFor), Rate: p.Rate, RateBurst: p.Burst})
		if err == nil {
			o.Progress.Say(fmt.Sprintf("Queued %s messages (send #%d).", Thousands(send.Total), send.ID))
		}
		return send, err
	}
	send := p.Existing
	if err := db.TakeLease(ctx, send.ID, owner, o.Now().Add(leaseFor), p.gone(ctx)); err != nil {
		return nil, err
	}
	if err := db.SetRate(ctx, send.ID, p.Rate, p.Burst); err != nil {
		return nil, err
	}
	n, err := db.RecoverInFlight(ctx, send.ID, cfg.Send.InFlight == config.InFlightResend, p.gone(ctx))
	if err != nil {
		return nil, err
	}
	if n > 0 {
		fate := "sending them again"
		if cfg.Send.InFlight == config.InFlightSkip {
			fate = "not sending them again, as each may have been delivered"
		}
		o.Progress.Say(fmt.Sprintf("%d message(s) were being sent when the last run stopped: %s (send.in_flight = %q).", n, fate, cfg.Send.InFlight))
	}
	if o.ResendFailed {
		if _, err := db.RequeueFailed(ctx, send.ID); err != nil {
			return nil, err
		}
	}
	return send, nil
}

// sender sets up owner's delivery of send's queue.
func (p *Plan) sender(ctx context.Context, send *store.Send, owner string, o RunOptions, g *guard) (*delivery.Sender, error) {
	db, cfg := p.Job.DB, p.Job.Config
	var caps *delivery.Caps
	if cfg.Rate.PerHour > 0 || cfg.Rate.PerDay > 0 {
		recent, err := db.SentSince(ctx, o.Now().Add(-24*time.Hour))
		if err != nil {
			return nil, err
		}
		caps = delivery.NewCaps(cfg.Rate.PerHour, cfg.Rate.PerDay, recent)
	}
	counts, _ := db.Queue(send.ID).Counts(ctx)
	o.Progress.Begin(counts)
	queue := db.QueueWith(send.ID, store.QueueOptions{Owner: owner, Gone: p.gone(ctx), Resend: cfg.Send.InFlight == config.InFlightResend,
		PerHour: cfg.Rate.PerHour, PerDay: cfg.Rate.PerDay})
	return delivery.New(queue, p.Transport, p.composer(send.ID), delivery.Options{
		Concurrency: p.Concurrency, Limiter: Limiter(p.Rate, p.Burst), Caps: caps,
		// Prefetched jobs that never reached the server are "sending" after a
		// crash too: fine when those are resent, wrong when they are skipped.
		Prefetch: cfg.Send.InFlight == config.InFlightResend,
		Retry:    cfg.Send.RetrySchedule(), MaxAge: time.Duration(cfg.Send.MaxAge), PerConnection: cfg.Send.MessagesPerConnection,
		DialTimeout: time.Duration(cfg.SMTP.ConnectTimeout), Now: o.Now,
		OnResult: p.onResult(ctx, o, g), OnPause: o.Progress.Pause, OnWait: o.Progress.Wait,
	}), nil
}

// onResult reports each result, hands it to the circuit breaker g, and
// counts a permanent refusal (5xx) as a hard bounce against the member, as
// a bounce message would.
func (p *Plan) onResult(ctx context.Context, o RunOptions, g *guard) func(delivery.Job, delivery.Result) {
	list := p.Job.List
	pace := &paceRecorder{db: p.Job.DB, send: g.send, now: time.Now}
	return func(j delivery.Job, r delivery.Result) {
		o.Progress.Result(j, r)
		if o.Observer != nil {
			o.Observer.Delivery(list.Name, r)
		}
		g.record(ctx, r)
		pace.record(ctx, r)
		if r.Outcome != delivery.Failed || !r.Permanent || o.Refusals == nil {
			return
		}
		up, err := o.Refusals.Refusal(context.WithoutCancel(ctx), list, j.Address, r.Reply)
		if err != nil {
			o.Progress.Say(fmt.Sprintf("could not count the bounce of %s: %v", j.Address, err))
		} else if up.Disabled {
			o.Progress.Say(fmt.Sprintf("%s bounced too often: no more mail to it on %s", j.Address, list.Name))
		}
	}
}

// renew keeps the lease (when held) and the claims on the rows in flight
// while the send runs; losing the lease (another process took over) stops
// this one.
func renew(ctx context.Context, db *store.DB, sendID int64, owner string, lease bool, now func() time.Time, lost chan<- error, stop func()) {
	t := time.NewTicker(leaseFor / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			db.RenewClaims(ctx, sendID, owner) // a failure shows at the next renewal or as a lapse
			if !lease {
				continue
			}
			if err := db.RenewLease(ctx, sendID, owner, now().Add(leaseFor)); err != nil && fault.CodeOf(err) == fault.Conflict {
				lost <- err
				stop()
				return
			}
		}
	}
}

// LeaseOwner names this process: host, pid and a random tag.
func LeaseOwner() string {
	host, _ := os.Hostname()
	tag := make([]byte, 3)
	rand.Read(tag)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(tag))
}

// gone says whether another worker (or lease holder) has stopped: its
// process on this host is gone, or, on PostgreSQL, the database saw its
// session end, wherever it ran.
func (p *Plan) gone(ctx context.Context) func(string) bool {
	return func(owner string) bool { return HolderIsGone(owner) || p.Job.DB.WorkerGone(ctx, owner) }
}

// HolderIsGone reports that a lease holder on this host is no longer
// running, so its lease need not be waited out.
func HolderIsGone(holder string) bool {
	parts := strings.Split(holder, ":")
	host, _ := os.Hostname()
	if len(parts) != 3 || parts[0] != host {
		return false
	}
	var pid int
	if _, err := fmt.Sscan(parts[1], &pid); err != nil || pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// Limiter is the shared token bucket; nil when the rate is off.
func Limiter(perSecond float64, burst int) *rate.Limiter {
	if perSecond <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
}
