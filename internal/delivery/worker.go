package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// worker delivers over one session: it asks the ledger for jobs, attempts
// them and reports each result before the next message is finished.
type worker struct {
	s     *Sender
	reqs  chan<- request
	reply chan answer

	local       []Job   // jobs held, in order
	res         *Result // the last result, not yet reported
	resJob      *Job
	outstanding bool // a request awaits its answer
	stopping    bool // the ledger said stop: attempt nothing more
	exit        bool // and let go

	session   Session
	onConn    int   // messages on this session
	announced int64 // the job whose envelope the session announced, 0 for none
	announce  int64 // the job whose envelope the gate returned for the message being sent
	backoff   time.Duration
	calm      time.Duration // the wait before reopening a session a throttle closed

	cur, ahead composed // the message being sent and the next one, composed ahead
}

// composed is a job's message, built before the exchange that carries it.
type composed struct {
	job  int64
	msg  []byte
	from string
	err  error
}

func newWorker(s *Sender, reqs chan<- request) *worker {
	return &worker{s: s, reqs: reqs, reply: make(chan answer, 1)}
}

// depth is how many jobs a worker holds: with Prefetch, the one being
// sent, the next (composed and announced ahead) and the one after.
func (w *worker) depth() int {
	if w.s.opts.Prefetch {
		return 3
	}
	return 1
}

// run works until the ledger lets the worker go.
func (w *worker) run(ctx context.Context) {
	defer w.closeSession()
	for !w.exit {
		w.ask()
		if len(w.local) == 0 {
			w.collect()
			continue
		}
		job := w.local[0]
		w.local = w.local[1:]
		r := w.attempt(ctx, &job)
		if w.outstanding {
			w.collect() // the attempt ended before its gate: wait for the record here
		}
		w.res, w.resJob = &r, &job
	}
}

// ask sends a request when there is a result to report, room for a job,
// or, when stopping with nothing left, to be let go.
func (w *worker) ask() {
	want := w.depth() - len(w.local)
	if w.stopping {
		want = 0
	}
	if w.outstanding || (w.res == nil && want <= 0 && !(w.stopping && len(w.local) == 0)) {
		return
	}
	w.reqs <- request{result: w.res, job: w.resJob, want: max(want, 0), busy: len(w.local) > 0, reply: w.reply}
	w.res, w.resJob, w.outstanding = nil, nil, true
}

// collect waits for the answer to the outstanding request.
func (w *worker) collect() {
	a := <-w.reply
	w.outstanding = false
	w.local = append(w.local, a.jobs...)
	w.stopping = w.stopping || a.stop
	w.exit = a.exit
}

// gate holds the end of a message until the last result is recorded.
// Meanwhile, as the message travels, it composes and signs the next one,
// whose envelope it returns for the session to announce.
func (w *worker) gate() (*Envelope, error) {
	next := w.composeNext()
	if w.outstanding {
		w.collect()
	}
	if w.stopping {
		return nil, errStopped
	}
	if next == nil {
		next = w.composeNext() // the answer may have brought the next job
	}
	if next != nil {
		w.announce = w.ahead.job
	}
	return next, nil
}

// errStopped abandons a message whose send was stopped before its end.
var errStopped = errors.New("the send was stopped")

func (w *worker) attempt(ctx context.Context, job *Job) Result {
	s := w.s
	if w.announced != 0 && w.announced != job.ID {
		w.closeSession() // cannot happen by design; never deliver under another envelope
	}
	if w.stopping || ctx.Err() != nil {
		return w.skip(job, "not attempted: the send was stopped")
	}
	if w.session == nil && w.calm > 0 {
		// The relay closed the last session to slow us down: reopening it
		// at once would be the next thing it refuses.
		select {
		case <-time.After(w.calm):
		case <-ctx.Done():
		}
	}
	if s.opts.Limiter != nil {
		if err := s.opts.Limiter.Wait(ctx); err != nil {
			return w.skip(job, "not attempted: the send was stopped")
		}
	}
	start, err := s.gov.wait(ctx)
	if err != nil {
		return w.skip(job, "not attempted: the send was stopped")
	}
	m := w.compose(job)
	if m.err != nil {
		if w.announced == job.ID {
			w.closeSession()
		}
		return Result{JobID: job.ID, Outcome: Failed, Reply: "cannot build the message: " + oneLine(m.err.Error()), At: s.opts.Now()}
	}
	if w.session == nil {
		if err := w.dial(ctx); err != nil {
			return requeue(s, job, oneLine(err.Error()))
		}
	}
	w.announced, w.announce = 0, 0
	err = w.session.Send(Envelope{From: m.from, To: job.Address}, m.msg, w.gate)
	if err == nil || isReply(err) {
		w.announced = w.announce
	}
	return w.result(job, m.from, start, err)
}

// skip gives a job back unattempted, dropping a session that announced it.
func (w *worker) skip(job *Job, why string) Result {
	if w.announced == job.ID {
		w.closeSession()
	}
	return requeue(w.s, job, why)
}

func requeue(s *Sender, job *Job, why string) Result {
	return Result{JobID: job.ID, Outcome: Requeue, Reply: why, At: s.opts.Now()}
}

// compose returns job's message: the one composed ahead, or a new one.
func (w *worker) compose(job *Job) composed {
	if w.ahead.job == job.ID {
		w.cur, w.ahead = w.ahead, composed{msg: w.cur.msg[:0]}
		return w.cur
	}
	msg, from, err := w.s.compose(*job, w.cur.msg[:0])
	w.cur = composed{job: job.ID, msg: msg, from: from, err: err}
	return w.cur
}

// composeNext builds the next held job's message, once, and returns its
// envelope for the session to announce, or nil when there is nothing to
// announce: no job held, no prefetch, the session ends after this
// message, or the message cannot be built (its attempt will say why).
func (w *worker) composeNext() *Envelope {
	perConn := w.s.opts.PerConnection
	if !w.s.opts.Prefetch || len(w.local) == 0 || w.stopping || perConn > 0 && w.onConn+1 >= perConn {
		return nil
	}
	job := w.local[0]
	if w.ahead.job != job.ID {
		msg, from, err := w.s.compose(job, w.ahead.msg[:0])
		w.ahead = composed{job: job.ID, msg: msg, from: from, err: err}
	}
	if w.ahead.err != nil {
		return nil
	}
	return &Envelope{From: w.ahead.from, To: job.Address}
}

// result classifies the outcome of a Send, started at start, and keeps
// the session or drops it.
func (w *worker) result(job *Job, from string, start time.Time, err error) Result {
	s := w.s
	if errors.Is(err, errStopped) {
		w.closeSession() // the server never got the end of the message
		return requeue(s, job, "not sent: the send was stopped")
	}
	c := w.pace(job, start, classify(err))
	now := s.opts.Now()
	w.onConn++
	if c.reconnect || (s.opts.PerConnection > 0 && w.onConn >= s.opts.PerConnection) {
		w.closeSession()
	}
	if c.senderBad {
		s.fail(fmt.Errorf("the mail server refused the envelope sender %s: %s", from, c.reply))
	}
	res := Result{JobID: job.ID, Outcome: c.outcome, Reply: c.reply, Permanent: c.permanent, Throttled: c.throttle,
		Pace: s.gov.learned(), At: now}
	if c.outcome == Deferred {
		res.NextAttempt = now.Add(backoff(s.opts.Retry, job.Attempts+1))
		if s.opts.MaxAge > 0 && !job.QueuedAt.IsZero() && res.NextAttempt.Sub(job.QueuedAt) > s.opts.MaxAge {
			res.Outcome = Failed
			res.Reply = "gave up after " + s.opts.MaxAge.String() + ": " + c.reply
		}
	}
	return res
}

// pace tells the governor what became of the attempt. A throttled message
// goes back in line, to be sent again as soon as the slower pace allows,
// unless it was throttled maxStreak times in a row: then it waits on the
// retry schedule like any 4xx. A session the relay closed to slow us down
// is reopened after a growing wait.
func (w *worker) pace(job *Job, start time.Time, c classification) classification {
	gov := w.s.gov
	if !c.throttle {
		gov.done(job.ID)
		if c.outcome == Sent {
			w.calm = 0
		}
		return c
	}
	if gov.throttle(job.ID, start) {
		c.outcome = Deferred
		c.reply = fmt.Sprintf("throttled %d times in a row: %s", maxStreak, c.reply)
	}
	if c.reconnect {
		w.calm = min(max(2*w.calm, 250*time.Millisecond), 10*time.Second)
	}
	return c
}

func isReply(err error) bool {
	var re *ReplyError
	return errors.As(err, &re)
}

// dial opens a session. Failures back off (never spin) and, after
// MaxDialFailures in a row over all workers, stop the send.
func (w *worker) dial(ctx context.Context) error {
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

func (w *worker) closeSession() {
	if w.session != nil {
		w.session.Close()
		w.session = nil
	}
	w.announced = 0
}
