package delivery

import (
	"slices"
	"sync"
	"time"
)

// Caps enforces sliding-window limits such as "500 an hour, 2,000 a day"
// over all sends. It starts from the delivery times recorded in the
// database, so the limits hold across restarts.
type Caps struct {
	mu      sync.Mutex
	windows []window
}

type window struct {
	limit int
	span  time.Duration
	times []time.Time // sends within the span, oldest first
}

// NewCaps makes caps for the limits that are above zero; sent are the
// recorded delivery times of the last day, in any order.
func NewCaps(perHour, perDay int, sent []time.Time) *Caps {
	c := &Caps{}
	if perHour > 0 {
		c.windows = append(c.windows, window{limit: perHour, span: time.Hour})
	}
	if perDay > 0 {
		c.windows = append(c.windows, window{limit: perDay, span: 24 * time.Hour})
	}
	sorted := append([]time.Time(nil), sent...)
	sortTimes(sorted)
	for i := range c.windows {
		c.windows[i].times = append([]time.Time(nil), sorted...)
	}
	return c
}

// Room is how many more messages may start at now.
func (c *Caps) Room(now time.Time) int {
	if c == nil {
		return 1 << 30
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	room := 1 << 30
	for i := range c.windows {
		w := &c.windows[i]
		w.expire(now)
		room = min(room, w.limit-len(w.times))
	}
	return max(room, 0)
}

// Record notes a message sent at t.
func (c *Caps) Record(t time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.windows {
		c.windows[i].times = append(c.windows[i].times, t)
	}
}

// NextFree is when a full window next has room.
func (c *Caps) NextFree(now time.Time) time.Time {
	if c == nil {
		return now
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := now
	for i := range c.windows {
		w := &c.windows[i]
		w.expire(now)
		if len(w.times) >= w.limit && w.limit > 0 {
			t := w.times[len(w.times)-w.limit].Add(w.span)
			if t.After(next) {
				next = t
			}
		}
	}
	return next
}

func (w *window) expire(now time.Time) {
	cut := now.Add(-w.span)
	i := 0
	for i < len(w.times) && !w.times[i].After(cut) {
		i++
	}
	w.times = w.times[i:]
}

func sortTimes(ts []time.Time) {
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
}
