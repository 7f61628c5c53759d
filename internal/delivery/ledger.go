package delivery

import (
	"context"
	"fmt"
	"time"
)

// request is a worker's report of its last attempt and its ask for more.
type request struct {
	result *Result
	job    *Job
	want   int  // jobs wanted now
	busy   bool // the worker holds a job: answer at once, even with none
	reply  chan answer
}

// answer is the ledger's reply to a request, sent once the request's
// result is committed.
type answer struct {
	jobs []Job
	stop bool // start nothing new: give back the jobs you hold
	exit bool // and you hold none: you are done
}

// batchWait is how long the ledger gathers results from busy workers.
const batchWait = 300 * time.Microsecond

// ledger is the one goroutine that talks to the queue: it records the
// workers' results and hands out jobs, batching both into one transaction
// per round so that many workers cost few commits. Each round it waits for
// something to happen, gathers what the workers report, records it while
// claiming what they asked for, hands the jobs out, and, when some worker
// is left waiting, decides when to look again.
type ledger struct {
	s    *Sender
	ctx  context.Context
	reqs <-chan request

	alive    int       // workers not yet let go
	inflight int       // jobs handed out and not yet reported
	waiting  []request // workers whose requests are not answered yet
	results  []Result  // reported and not yet recorded
	stopErr  error     // why the send stops; nil while it goes on
	done     <-chan struct{}

	wake     *time.Timer // the next look at the queue, when nothing else wakes the ledger
	wakeC    <-chan time.Time
	batch    *time.Timer
	lastWait time.Time // the OnWait last told, so that it is told each change once
}

func newLedger(ctx context.Context, s *Sender, reqs <-chan request) *ledger {
	batch := time.NewTimer(time.Hour)
	batch.Stop()
	return &ledger{s: s, ctx: ctx, reqs: reqs, alive: s.opts.Concurrency, done: ctx.Done(), batch: batch}
}

// run serves the workers until the last one is let go.
func (l *ledger) run() error {
	for l.alive > 0 {
		l.await()
		l.gather()
		now := l.s.opts.Now()
		want, capped := l.demand(now)
		jobs := l.record(want, now)
		l.dispatch(jobs)
		if len(l.waiting) > 0 {
			l.schedule(now, capped && want == 0)
		}
		// Otherwise jobs are in flight: their results wake the ledger.
	}
	if l.wake != nil {
		l.wake.Stop()
	}
	return l.stopErr
}

// await blocks until a worker reports, the wake-up timer fires, the send
// is cancelled or it fails.
func (l *ledger) await() {
	select {
	case r := <-l.reqs:
		l.take(r)
	case <-l.wakeC:
		l.wakeC = nil
	case <-l.done:
		l.stop(l.ctx.Err())
	case err := <-l.s.fatal:
		l.stop(err)
	}
}

// gather takes every request already sent. With prefetch a worker is busy
// with its next message while it waits, so waiting a moment for the other
// workers' results costs it nothing and saves commits.
func (l *ledger) gather() {
	l.drain()
	if !l.s.opts.Prefetch || l.stopErr != nil || l.inflight == 0 || !allBusy(l.waiting) {
		return
	}
	l.batch.Reset(batchWait)
	defer l.batch.Stop()
	for len(l.waiting) < l.s.opts.Concurrency {
		select {
		case r := <-l.reqs:
			l.take(r)
		case <-l.batch.C:
			return
		}
	}
}

func (l *ledger) drain() {
	for {
		select {
		case r := <-l.reqs:
			l.take(r)
		default:
			return
		}
	}
}

// take notes a request and the result it reports.
func (l *ledger) take(r request) {
	if r.result != nil {
		l.results = append(l.results, *r.result)
		l.inflight--
		if r.result.Outcome == Sent {
			l.s.opts.Caps.Record(r.result.At)
		}
		if l.s.opts.OnResult != nil {
			l.s.opts.OnResult(*r.job, *r.result)
		}
	}
	l.waiting = append(l.waiting, r)
}

// demand is how many jobs to claim now: what the waiting workers ask for,
// within the room the caps leave beside the jobs in flight.
func (l *ledger) demand(now time.Time) (want int, capped bool) {
	if l.stopErr != nil {
		return 0, false
	}
	for _, r := range l.waiting {
		want += r.want
	}
	if room := l.s.opts.Caps.Room(now) - l.inflight; room < want {
		return max(room, 0), true
	}
	return want, false
}

// record commits the results gathered and claims want jobs, in one
// transaction. Recording must happen even when stopping, so it does not
// use a context the stop cancels.
func (l *ledger) record(want int, now time.Time) []Job {
	jobs, err := l.s.queue.Exchange(context.WithoutCancel(l.ctx), l.results, want, now)
	l.results = l.results[:0]
	if err != nil {
		// The outcomes of these attempts are lost; their rows stay
		// "sending" and the next run treats them as in flight at a crash.
		l.stop(fmt.Errorf("record deliveries: %w", err))
		return nil
	}
	return jobs
}

// dispatch answers the waiting workers: jobs to those that asked, a stop
// to all when stopping; a worker with nothing to do and nothing held keeps
// waiting.
func (l *ledger) dispatch(jobs []Job) {
	held := l.waiting[:0]
	for _, r := range l.waiting {
		n := min(r.want, len(jobs))
		give := jobs[:n:n]
		jobs = jobs[n:]
		l.inflight += n
		switch {
		case l.stopErr != nil:
			exit := !r.busy && n == 0
			r.reply <- answer{jobs: give, stop: true, exit: exit}
			if exit {
				l.alive--
			}
		case n > 0 || r.busy:
			r.reply <- answer{jobs: give}
		default:
			held = append(held, r)
		}
	}
	l.waiting = held
}

// schedule decides, for the workers left waiting, when to look at the
// queue again: never (all done), when the caps free up, or when the next
// deferred job is due.
func (l *ledger) schedule(now time.Time, capped bool) {
	next, pending, err := l.s.queue.NextDue(context.WithoutCancel(l.ctx))
	switch {
	case err != nil:
		l.stop(fmt.Errorf("read queue: %w", err))
		l.release()
	case !pending && l.inflight == 0:
		l.release() // all done
	case capped:
		until := l.s.opts.Caps.NextFree(now)
		if l.s.opts.OnPause != nil && l.inflight == 0 {
			l.s.opts.OnPause(until)
		}
		l.wakeIn(until.Sub(now))
	case pending && l.inflight == 0 || pending && !next.IsZero():
		// Sleep until the next deferred job is due, but look again at
		// least every minute in case another process changed the queue.
		wait := min(max(next.Sub(now), 10*time.Millisecond), time.Minute)
		if l.inflight == 0 && next.Sub(now) > time.Second && l.s.opts.OnWait != nil && !next.Equal(l.lastWait) {
			l.s.opts.OnWait(next)
			l.lastWait = next
		}
		l.wakeIn(wait)
	}
}

func (l *ledger) wakeIn(d time.Duration) {
	if l.wake == nil {
		l.wake = time.NewTimer(d)
	} else {
		l.wake.Reset(d)
	}
	l.wakeC = l.wake.C
}

// stop ends the send with err (the first reason wins): no more jobs are
// handed out, and the workers are let go as they report.
func (l *ledger) stop(err error) {
	if l.stopErr == nil {
		l.stopErr = err
	}
	l.done = nil
}

// release tells the idle waiting workers to exit.
func (l *ledger) release() {
	for _, r := range l.waiting {
		r.reply <- answer{stop: true, exit: true}
	}
	l.alive -= len(l.waiting)
	l.waiting = l.waiting[:0]
}

// allBusy reports whether every waiting worker holds a job, so that none
// of them idles while the ledger gathers.
func allBusy(waiting []request) bool {
	for _, r := range waiting {
		if !r.busy {
			return false
		}
	}
	return len(waiting) > 0
}
