package sending

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// Daemon delivers what is due without anyone at a terminal: scheduled
// sends when their time comes, and sends with messages left — a terminal
// closed mid-send, a crash, deferred messages whose retry is due — once
// nobody holds their lease. On SQLite two daemons (or a daemon and `mailer
// send`) never deliver one send at once: the lease decides. On PostgreSQL,
// which several machines share, a daemon joins a send another process
// holds, and they deliver it together.
type Daemon struct {
	Config    *config.Config
	DB        *store.DB
	Transport Transports
	Refusals  Refusals
	Observer  Observer     // who counts the outcomes (the metrics); nil: nobody
	Breaker   BreakerHooks // who hears of a send the circuit breaker paused
	Now       func() time.Time
	Log       *slog.Logger
	// WaitLimit: a run whose messages are all deferred further than this
	// ends and leaves them to a later tick, instead of holding the daemon.
	WaitLimit time.Duration
}

// Loop ticks every interval until ctx ends. A tick that fails is logged:
// the next one tries again.
func (d *Daemon) Loop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := d.Tick(ctx); err != nil && ctx.Err() == nil {
			d.Log.Error("delivery daemon", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick starts the scheduled sends that are due, then resumes the sends
// that have messages due, one after the other, and returns when they stop.
func (d *Daemon) Tick(ctx context.Context) error {
	due, err := d.DB.DueSchedules(ctx, d.Now())
	if err != nil {
		return err
	}
	for _, s := range due {
		if ctx.Err() != nil {
			return nil
		}
		d.startScheduled(ctx, s)
	}
	sends, err := d.DB.ResumableSends(ctx, d.Now())
	if err != nil {
		return err
	}
	for _, s := range sends {
		if ctx.Err() != nil {
			return nil
		}
		d.resume(ctx, s)
	}
	return nil
}

// startScheduled starts a due schedule, unless its issue changed since it
// was scheduled or cannot be sent; then the schedule is refused, with why.
func (d *Daemon) startScheduled(ctx context.Context, s *store.Schedule) {
	log := d.Log.With("schedule", s.ID, "issue", s.Issue, "list", s.ListName)
	refuse := func(why string) {
		if err := d.DB.EndSchedule(ctx, s.ID, store.ScheduleRefused, 0, why); err == nil {
			log.Warn("scheduled send refused", "why", why)
		}
	}
	p, err := d.plan(ctx, s.Issue, s.ListName)
	if err != nil {
		refuse(err.Error())
		return
	}
	if p.Hash != s.ContentHash {
		refuse(fmt.Sprintf("the issue changed after it was scheduled on %s; schedule it again (mailer send %s --at ...) to send the new text",
			when(s.CreatedAt), s.Issue))
		return
	}
	if err := p.FindExisting(ctx, PlanOptions{}); err != nil {
		refuse(err.Error())
		return
	}
	// Only one daemon wins a due schedule.
	if err := d.DB.EndSchedule(ctx, s.ID, store.ScheduleStarted, 0, ""); err != nil {
		return
	}
	log.Info("scheduled send starting", "recipients", p.Recipients)
	d.run(ctx, p, log)
}

// resume takes over a send with messages due, if nobody holds it.
func (d *Daemon) resume(ctx context.Context, s *store.Send) {
	log := d.Log.With("send", s.ID, "issue", s.Issue, "list", s.ListName)
	p, err := d.plan(ctx, s.Issue, s.ListName)
	if err != nil {
		log.Warn("cannot resume send", "err", err)
		return
	}
	if err := p.FindExisting(ctx, PlanOptions{}); err != nil {
		log.Warn("cannot resume send", "err", err)
		return
	}
	if p.Existing == nil || p.Existing.ID != s.ID {
		return // a newer send of the issue is the one to resume
	}
	d.run(ctx, p, log)
}

func (d *Daemon) plan(ctx context.Context, issueName, list string) (*Plan, error) {
	job, err := Open(ctx, d.Config, d.DB, issueName, list, d.Now)
	if err != nil {
		return nil, err
	}
	tr, dkim, via, err := d.Transport()
	if err != nil {
		return nil, err
	}
	return job.NewPlan(ctx, PlanOptions{Rate: -1, Transport: tr, DKIM: dkim, Via: via})
}

func (d *Daemon) run(ctx context.Context, p *Plan, log *slog.Logger) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	prog := &logProgress{log: log, cancel: cancel, waitLimit: d.WaitLimit, now: d.Now}
	out, err := p.Run(runCtx, RunOptions{Progress: prog, Refusals: d.Refusals, Observer: d.Observer, Breaker: d.Breaker, Now: d.Now})
	if errors.Is(err, store.ErrLeaseHeld) && d.DB.Shared() {
		// On a database that several machines share, daemons deliver a
		// running send together.
		log.Info("joining send held by another process")
		out, err = p.Run(runCtx, RunOptions{Progress: prog, Refusals: d.Refusals, Observer: d.Observer, Breaker: d.Breaker, Now: d.Now, Join: true})
	}
	switch {
	case fault.CodeOf(err) == fault.Conflict:
		log.Debug("send held by another process", "err", err)
	case out.Finished:
		log.Info("send finished", "send", out.Send, "sent", out.Counts.Sent, "failed", out.Counts.Failed, "skipped", out.Counts.Skipped,
			"throttled", prog.throttled)
	case prog.waiting:
		log.Info("send waiting for retries", "send", out.Send, "deferred", out.Counts.Deferred, "next", prog.next)
	case err != nil:
		log.Warn("send stopped", "send", out.Send, "err", err)
	}
}

// logProgress is the daemon's progress: log lines, and a run that would
// only wait for distant retries is ended (the send stays resumable).
type logProgress struct {
	log       *slog.Logger
	cancel    func()
	waitLimit time.Duration
	now       func() time.Time
	waiting   bool
	next      time.Time
	sent      int
	throttled int       // throttle replies (see delivery.Result.Throttled)
	saidPace  time.Time // when the learned pace was last logged
}

// paceEvery is how often the daemon logs the pace a throttling relay taught.
const paceEvery = 10 * time.Second

func (l *logProgress) Begin(c delivery.Counts) {
	l.log.Info("send running", "queued", c.Queued, "deferred", c.Deferred, "sent", c.Sent)
}

func (l *logProgress) Result(_ delivery.Job, r delivery.Result) {
	if r.Outcome == delivery.Sent {
		l.sent++
	}
	if !r.Throttled {
		return
	}
	l.throttled++
	if now := l.now(); l.saidPace.IsZero() || now.Sub(l.saidPace) >= paceEvery {
		l.saidPace = now
		l.log.Info("the relay throttles: sending slower", "throttled", l.throttled, "pace_per_second", fmt.Sprintf("%.1f", r.Pace))
	}
}

func (l *logProgress) Pause(until time.Time) {
	l.log.Info("caps reached: sending resumes", "at", until)
}

func (l *logProgress) Wait(next time.Time) {
	if l.waitLimit > 0 && next.Sub(l.now()) > l.waitLimit {
		l.waiting, l.next = true, next
		l.cancel()
	}
}

func (l *logProgress) Say(line string) { l.log.Info(line) }
func (l *logProgress) End()            {}
