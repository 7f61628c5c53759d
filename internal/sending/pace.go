package sending

import (
	"context"
	"sync"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/store"
)

// paceStoreEvery is how often at most the learned pace is written to the store
// while the relay throttles: often enough for `mailer status` in another
// terminal, rarely enough to cost nothing next to the messages.
const paceStoreEvery = 2 * time.Second

// paceRecorder keeps the store's learned pace of a send (what the relay's
// throttle replies taught the sender, delivery.Result.Pace) up to date.
type paceRecorder struct {
	db   *store.DB
	send int64
	now  func() time.Time

	mu      sync.Mutex
	last    time.Time
	written float64
}

// record writes r's pace when r is a throttle reply and the pace fell
// since the last write, or that write is older than paceStoreEvery. A
// failed write is not the send's failure: the pace is only shown.
func (p *paceRecorder) record(ctx context.Context, r delivery.Result) {
	if !r.Throttled || r.Pace <= 0 {
		return
	}
	p.mu.Lock()
	now := p.now()
	due := p.last.IsZero() || now.Sub(p.last) >= paceStoreEvery || r.Pace < p.written
	if due {
		p.last, p.written = now, r.Pace
	}
	p.mu.Unlock()
	if due {
		p.db.SetLearnedPace(context.WithoutCancel(ctx), p.send, r.Pace)
	}
}
