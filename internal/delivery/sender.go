package delivery

import (
	"context"
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
	// Prefetch lets each worker hold its next two jobs: it transfers a
	// message while the last result is being recorded, composes (and
	// signs) the one after ahead of the exchange, and announces it behind
	// the end of the current one on a pipelining session. The end of each
	// message still waits for the record of the one before, so at most
	// Concurrency messages are ever delivered-but-unrecorded. Up to three
	// times Concurrency rows can then be "sending" after a crash (the rest
	// never reached the server): use it when those are resent, not when
	// they are skipped.
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

	gov          *governor // the pace learned from the relay's throttle replies
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
	return &Sender{queue: q, transport: t, compose: compose, opts: opts, gov: newGovernor(opts.Limiter), fatal: make(chan error, 1)}
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
			newWorker(s, reqs).run(ctx)
		}()
	}
	err := newLedger(ctx, s, reqs).run()
	wg.Wait()
	return err
}

// Throttled is how many throttle replies the relay gave so far, and the
// pace they taught (messages a second; 0 while not holding back).
func (s *Sender) Throttled() (replies int, pace float64) {
	pace = s.gov.learned()
	s.gov.mu.Lock()
	defer s.gov.mu.Unlock()
	return s.gov.throttled, pace
}

// fail stops the whole send with err.
func (s *Sender) fail(err error) {
	s.fatalOnce.Do(func() { s.fatal <- err })
}
