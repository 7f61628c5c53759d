package outhooks

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"mailer/internal/store"
)

// Store is what the dispatcher reads and writes: the queue the database's
// triggers fill, the attempts, and the hooks a 410 disables.
type Store interface {
	DueHookURLs(ctx context.Context, now time.Time) ([]string, error)
	NextHookEvent(ctx context.Context, url string, now time.Time) (*store.HookEvent, error)
	RecordHookAttempt(ctx context.Context, a store.HookAttempt, out store.HookOutcome) error
	DisableHook(ctx context.Context, id int64, reason string) error
	GetHook(ctx context.Context, id int64) (*store.Hook, error)
	QueueHookEvent(ctx context.Context, hookID int64, typ, subject, payload string, next time.Time) (*store.HookEvent, error)
	HoldHookURL(ctx context.Context, url string) (release func(), ok bool, err error)
	PruneHookEvents(ctx context.Context, before time.Time) (int64, error)
}

// Keep is how long settled events and their attempts stay for `hooks ls`
// and the console.
const Keep = 30 * 24 * time.Hour

// Timeout is a request's limit: Standard Webhooks ("Request timeouts")
// recommends 15 to 30 seconds for a receiver to answer.
const Timeout = 15 * time.Second

// Workers is the default number of URLs served at once.
const Workers = 4

// Dispatcher delivers the queued events, one request at a time per URL
// (two hooks on one URL take turns), the URLs in parallel. On PostgreSQL
// the turn is taken across processes too (Store.HoldHookURL).
type Dispatcher struct {
	Store Store
	// Client sends the requests; nil: NewClient().
	Client *http.Client
	Now    func() time.Time // nil: time.Now
	Jitter Jitter           // nil: uniform
	Log    *slog.Logger     // nil: discard
	// Timeout bounds each request; 0: Timeout.
	Timeout time.Duration
	// Workers is how many URLs are served at once; 0: Workers. On
	// PostgreSQL each holds a connection of the store's pool (16) for its
	// URL's lock, so it stays well under that.
	Workers int

	mu   sync.Mutex
	busy map[string]bool // URLs with a worker
	wg   sync.WaitGroup
}

// NewClient is the HTTP client of deliveries: a redirect is an answer, not
// followed (Standard Webhooks, "Delivery success and failure": 3xx is a
// failure; the owner should change the URL).
func NewClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (d *Dispatcher) init() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.busy == nil {
		d.busy = map[string]bool{}
	}
	if d.Client == nil {
		d.Client = NewClient()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Jitter == nil {
		d.Jitter = fullJitter
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Timeout == 0 {
		d.Timeout = Timeout
	}
	if d.Workers == 0 {
		d.Workers = Workers
	}
}

// Loop delivers what is due every interval until ctx ends, then waits for
// the requests in flight to be answered and recorded.
func (d *Dispatcher) Loop(ctx context.Context, every time.Duration) {
	d.init()
	t := time.NewTicker(every)
	defer t.Stop()
	var pruned time.Time
	for {
		if now := d.Now(); now.Sub(pruned) >= time.Hour {
			d.prune(ctx, now)
			pruned = now
		}
		d.Tick(ctx)
		select {
		case <-ctx.Done():
			d.Wait()
			return
		case <-t.C:
		}
	}
}

// Tick starts a worker for each URL with an event due and no worker yet,
// up to Workers at once (the rest wait for a later tick); it does not wait
// for them (Wait does).
func (d *Dispatcher) Tick(ctx context.Context) {
	d.init()
	urls, err := d.Store.DueHookURLs(ctx, d.Now())
	if err != nil {
		if ctx.Err() == nil {
			d.Log.Error("event webhooks", "err", err)
		}
		return
	}
	for _, u := range urls {
		d.mu.Lock()
		if d.busy[u] || len(d.busy) >= d.Workers {
			d.mu.Unlock()
			continue
		}
		d.busy[u] = true
		d.wg.Add(1)
		d.mu.Unlock()
		go d.drain(ctx, u)
	}
}

// prune forgets what settled more than Keep ago.
func (d *Dispatcher) prune(ctx context.Context, now time.Time) {
	if _, err := d.Store.PruneHookEvents(ctx, now.Add(-Keep)); err != nil && ctx.Err() == nil {
		d.Log.Error("event webhooks", "err", err)
	}
}

// Wait returns when every worker has finished.
func (d *Dispatcher) Wait() { d.wg.Wait() }

// RunOnce is Tick and Wait: everything due now is attempted once.
func (d *Dispatcher) RunOnce(ctx context.Context) {
	d.Tick(ctx)
	d.Wait()
}

// drain delivers url's due events one after another; each is read afresh,
// so one superseded while another was out is never sent.
func (d *Dispatcher) drain(ctx context.Context, url string) {
	defer func() {
		d.mu.Lock()
		delete(d.busy, url)
		d.mu.Unlock()
		d.wg.Done()
	}()
	release, ok, err := d.Store.HoldHookURL(ctx, url)
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			d.Log.Error("event webhooks", "err", err)
		}
		return // another process is delivering to url
	}
	defer release()
	for ctx.Err() == nil {
		ev, err := d.Store.NextHookEvent(ctx, url, d.Now())
		if err != nil {
			if ctx.Err() == nil {
				d.Log.Error("event webhooks", "err", err)
			}
			return
		}
		if ev == nil {
			return
		}
		if _, err := d.deliver(ctx, ev, true); err != nil {
			d.Log.Error("event webhooks", "hook", ev.HookID, "event", ev.ID, "err", err)
			return
		}
	}
}
