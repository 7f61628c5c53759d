package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Options tune a Sender.
type Options struct {
	Concurrency   int           // workers, each with its own session
	Limiter       *rate.Limiter // shared token bucket; nil sends as fast as the server takes it
	Caps          *Caps         // per-hour and per-day caps; nil for none
	Retry         []time.Duration
	MaxAge        time.Duration // a job still deferred this long after it was queued fails
	PerConnection int           // reconnect after this many messages; 0 keeps a session as long as it works
	DialTimeout   time.Duration
	// Prefetch lets each worker hold its next job and transfer it while the
	// last result is being recorded; the end of each message still waits
	// for the record of the one before, so at most Concurrency messages
	// are ever delivered-but-unrecorded. Up to twice Concurrency rows can
	// then be "sending" after a crash (the rest never reached the server):
	// use it when those are resent, not when they are skipped.
	Prefetch bool
	// MaxDialFailures in a row, over all workers, stop the send: the
	// server is down or the configuration is wrong. Default 3.
	MaxDialFailures int
	Now             func() time.Time
	// OnResult is told every recorded outcome, from one goroutine.
	OnResult func(Job, Result)
	// OnPause is told when the caps hold sending back, and until when.
	OnPause func(until time.Time)
	// OnWait is told when only deferred messages are left, and when the
	// next one is due.
	OnWait func(next time.Time)
	Logger *slog.Logger
}

// Sender delivers the jobs of one queue.
type Sender struct {
	queue     Queue
	transport Transport
	compose   Composer
	opts      Options

	dialFailures atomic.Int32
	fatalOnce    sync.Once
	fatal        chan error
}

// New returns a Sender.
func New(q Queue, t Transport, compose Composer, opts Options) *Sender {
	if opts.Concurrency < 1 {
		opts.Concurrency = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxDialFailures < 1 {
		opts.MaxDialFailures = 3
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{queue: q, transport: t, compose: compose, opts: opts, fatal: make(chan error, 1)}
}

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

// Run delivers until the queue has nothing left to send, or ctx is
// cancelled (then it finishes the messages in flight, records them and
// returns ctx's error), or the server cannot be reached.
func (s *Sender) Run(ctx context.Context) error {
	reqs := make(chan request)
	var wg sync.WaitGroup
	for range s.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.worker(ctx, reqs)
		}()
	}
	err := s.ledger(ctx, reqs)
	wg.Wait()
	return err
}

// ledger is the one goroutine that talks to the queue: it records the
// workers' results and hands out jobs, batching both into one transaction
// per round so that many workers cost few commits. A worker holds at most
// one job, so at most Concurrency jobs are ever "sending".
func (s *Sender) ledger(ctx context.Context, reqs <-chan request) error {
	alive, inflight := s.opts.Concurrency, 0
	var waiting []request
	var results []Result
	var stopErr error
	done := ctx.Done()
	var timer *time.Timer
	var timerC <-chan time.Time
	var lastWait time.Time
	batch := time.NewTimer(time.Hour)
	batch.Stop()
	stop := func(err error) {
		if stopErr == nil {
			stopErr = err
		}
		done = nil
	}
	take := func(r request) {
		if r.result != nil {
			results = append(results, *r.result)
			inflight--
			if r.result.Outcome == Sent {
				s.opts.Caps.Record(r.result.At)
			}
			if s.opts.OnResult != nil {
				s.opts.OnResult(*r.job, *r.result)
			}
		}
		waiting = append(waiting, r)
	}
	for alive > 0 {
		select {
		case r := <-reqs:
			take(r)
		case <-timerC:
			timerC = nil
		case <-done:
			stop(ctx.Err())
		case err := <-s.fatal:
			stop(err)
		}
	drain:
		for {
			select {
			case r := <-reqs:
				take(r)
			default:
				break drain
			}
		}
		// With prefetch a worker is busy with its next message while it
		// waits, so waiting a moment for other workers' results costs it
		// nothing and saves commits.
		if s.opts.Prefetch && stopErr == nil && inflight > 0 && allBusy(waiting) {
			batch.Reset(batchWait)
		gather:
			for len(waiting) < s.opts.Concurrency {
				select {
				case r := <-reqs:
					take(r)
				case <-batch.C:
					break gather
				}
			}
			if !batch.Stop() {
				select {
				case <-batch.C:
				default:
				}
			}
		}
		now := s.opts.Now()
		want, capped := 0, false
		if stopErr == nil {
			for _, r := range waiting {
				want += r.want
			}
			if room := s.opts.Caps.Room(now) - inflight; room < want {
				want, capped = max(room, 0), true
			}
		}
		// Recording must happen even when stopping: use a context that the
		// stop does not cancel.
		jobs, err := s.queue.Exchange(context.WithoutCancel(ctx), results, want, now)
		if err != nil {
			// The outcomes of these attempts are lost; their rows stay
			// "sending" and the next run treats them as in flight at a crash.
			stop(fmt.Errorf("record deliveries: %w", err))
			jobs = nil
		}
		results = results[:0]
		held := waiting[:0]
		for _, r := range waiting {
			n := min(r.want, len(jobs))
			give := jobs[:n:n]
			jobs = jobs[n:]
			inflight += n
			switch {
			case stopErr != nil:
				exit := !r.busy && n == 0
				r.reply <- answer{jobs: give, stop: true, exit: exit}
				if exit {
					alive--
				}
			case n > 0 || r.busy:
				r.reply <- answer{jobs: give}
			default:
				held = append(held, r)
			}
		}
		waiting = held
		if len(waiting) == 0 {
			continue
		}
		next, pending, err := s.queue.NextDue(context.WithoutCancel(ctx))
		switch {
		case err != nil:
			stop(fmt.Errorf("read queue: %w", err))
			alive -= s.release(&waiting)
		case !pending && inflight == 0:
			alive -= s.release(&waiting) // all done
		case capped && len(jobs) == want:
			until := s.opts.Caps.NextFree(now)
			if s.opts.OnPause != nil && inflight == 0 {
				s.opts.OnPause(until)
			}
			timer, timerC = resetTimer(timer, until.Sub(now))
		case pending && inflight == 0 || pending && !next.IsZero():
			// Sleep until the next deferred job is due, but look again at
			// least every minute in case another process changed the queue.
			wait := min(max(next.Sub(now), 10*time.Millisecond), time.Minute)
			if inflight == 0 && next.Sub(now) > time.Second && s.opts.OnWait != nil && !next.Equal(lastWait) {
				s.opts.OnWait(next)
				lastWait = next
			}
			timer, timerC = resetTimer(timer, wait)
		}
		// Otherwise jobs are in flight: their results wake the ledger.
	}
	if timer != nil {
		timer.Stop()
	}
	return stopErr
}

// batchWait is how long the ledger gathers results from busy workers.
const batchWait = 300 * time.Microsecond

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

// release tells idle waiting workers to exit and returns how many there were.
func (s *Sender) release(waiting *[]request) int {
	n := len(*waiting)
	for _, r := range *waiting {
		r.reply <- answer{stop: true, exit: true}
	}
	*waiting = (*waiting)[:0]
	return n
}

func resetTimer(t *time.Timer, d time.Duration) (*time.Timer, <-chan time.Time) {
	if t == nil {
		t = time.NewTimer(d)
	} else {
		t.Reset(d)
	}
	return t, t.C
}

// errStopped abandons a message whose send was stopped before its end.
var errStopped = errors.New("the send was stopped")

// worker asks for jobs, attempts them and reports back, until told to exit.
// Each result is reported before the next message is finished; with
// Prefetch the next message is transferred meanwhile, and only its end
// waits for the answer that confirms the last one is recorded.
func (s *Sender) worker(ctx context.Context, reqs chan<- request) {
	w := &workerState{s: s, reply: make(chan answer, 1)}
	defer w.closeSession()
	depth := 1
	if s.opts.Prefetch {
		depth = 2
	}
	var local []Job
	var res *Result
	var resJob *Job
	outstanding, stopping, exit := false, false, false
	collect := func() {
		a := <-w.reply
		outstanding = false
		local = append(local, a.jobs...)
		stopping = stopping || a.stop
		exit = a.exit
	}
	// gate holds the end of a message until the last result is recorded.
	gate := func() error {
		if outstanding {
			collect()
		}
		if stopping {
			return errStopped
		}
		return nil
	}
	for !exit {
		want := depth - len(local)
		if stopping {
			want = 0
		}
		// Ask when there is a result to report, room for a job, or, when
		// stopping with nothing left, to be let go.
		if !outstanding && (res != nil || want > 0 || stopping && len(local) == 0) {
			reqs <- request{result: res, job: resJob, want: want, busy: len(local) > 0, reply: w.reply}
			res, resJob, outstanding = nil, nil, true
		}
		if len(local) == 0 {
			collect()
			continue
		}
		job := local[0]
		local = local[1:]
		var r Result
		if stopping {
			r = Result{JobID: job.ID, Outcome: Requeue, Reply: "not attempted: the send was stopped", At: s.opts.Now()}
		} else {
			r = w.attempt(ctx, &job, gate)
		}
		if outstanding {
			collect() // the attempt ended before its gate: wait for the record here
		}
		res, resJob = &r, &job
	}
}

type workerState struct {
	s       *Sender
	reply   chan answer
	session Session
	onConn  int
	buf     []byte
	backoff time.Duration
}

func (w *workerState) attempt(ctx context.Context, job *Job, gate func() error) Result {
	s := w.s
	requeue := func(why string) Result {
		return Result{JobID: job.ID, Outcome: Requeue, Reply: why, At: s.opts.Now()}
	}
	if ctx.Err() != nil {
		return requeue("not attempted: the send was stopped")
	}
	if s.opts.Limiter != nil {
		if err := s.opts.Limiter.Wait(ctx); err != nil {
			return requeue("not attempted: the send was stopped")
		}
	}
	msg, from, err := s.compose(*job, w.buf[:0])
	if err != nil {
		return Result{JobID: job.ID, Outcome: Failed, Reply: "cannot build the message: " + oneLine(err.Error()), At: s.opts.Now()}
	}
	w.buf = msg[:0]
	if w.session == nil {
		if err := w.dial(ctx); err != nil {
			return requeue(oneLine(err.Error()))
		}
	}
	if gs, ok := w.session.(GatedSession); ok {
		err = gs.SendGated(from, job.Address, msg, gate)
	} else if err = gate(); err == nil {
		err = w.session.Send(from, job.Address, msg)
	}
	if errors.Is(err, errStopped) {
		w.closeSession() // the server never got the end of the message
		return requeue("not sent: the send was stopped")
	}
	c := classify(err)
	now := s.opts.Now()
	w.onConn++
	if c.reconnect || (s.opts.PerConnection > 0 && w.onConn >= s.opts.PerConnection) {
		w.closeSession()
	}
	if c.senderBad {
		s.fail(fmt.Errorf("the mail server refused the envelope sender %s: %s", from, c.reply))
	}
	res := Result{JobID: job.ID, Outcome: c.outcome, Reply: c.reply, Permanent: c.permanent, At: now}
	if c.outcome == Deferred {
		res.NextAttempt = now.Add(backoff(s.opts.Retry, job.Attempts+1))
		if s.opts.MaxAge > 0 && !job.QueuedAt.IsZero() && res.NextAttempt.Sub(job.QueuedAt) > s.opts.MaxAge {
			res.Outcome = Failed
			res.Reply = "gave up after " + s.opts.MaxAge.String() + ": " + c.reply
		}
	}
	return res
}

// dial opens a session. Failures back off (never spin) and, after
// MaxDialFailures in a row over all workers, stop the send.
func (w *workerState) dial(ctx context.Context) error {
	s := w.s
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.DialTimeout)
	sess, err := s.transport.Dial(dctx)
	cancel()
	if err == nil {
		w.session, w.onConn, w.backoff = sess, 0, 0
		s.dialFailures.Store(0)
		return nil
	}
	if !errors.As(err, new(*DialError)) {
		err = &DialError{Err: err}
	}
	if int(s.dialFailures.Add(1)) >= s.opts.MaxDialFailures {
		s.fail(err)
	}
	w.backoff = min(max(2*w.backoff, 200*time.Millisecond), 30*time.Second)
	s.opts.Logger.Warn("cannot connect to the mail server", "err", err, "retry_in", w.backoff)
	select {
	case <-time.After(w.backoff):
	case <-ctx.Done():
	}
	return err
}

func (w *workerState) closeSession() {
	if w.session != nil {
		w.session.Close()
		w.session = nil
	}
}

// fail stops the whole send with err.
func (s *Sender) fail(err error) {
	s.fatalOnce.Do(func() { s.fatal <- err })
}
