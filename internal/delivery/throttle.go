package delivery

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// governor learns the rate a relay takes from its throttle replies, the way
// TCP learns a path's capacity (AIMD, RFC 5681's congestion avoidance):
// each throttle halves the pace of the whole send (multiplicative
// decrease), and every growEvery without one adds a small step back
// (additive increase), so the send settles just under the relay's limit
// instead of filling the retry schedule. Until the relay first complains,
// and again once the pace grows past the configured rate, it holds
// nothing back.
//
// A throttle cuts the pace only when its message started after the last
// cut: the replies to messages already on their way at the old pace say
// nothing about the new one (TCP's "once per window").
type governor struct {
	lim     *rate.Limiter // the learned pace; rate.Inf while not holding back
	ceiling float64       // the configured rate; +Inf for none

	mu        sync.Mutex
	pace      float64 // messages a second; +Inf while not holding back
	step      float64 // the additive increase, per growEvery
	cutAt     time.Time
	grownAt   time.Time
	attempts  meter         // attempts started, to know the pace before the first cut
	streak    map[int64]int // throttles in a row, per job
	throttled int           // throttle replies over the whole run
}

const (
	growEvery = 500 * time.Millisecond
	// growParts: the step is the cut pace over this, so that the pace
	// doubles back in growParts*growEvery (4 s) if nothing complains.
	growParts = 8
	minPace   = 1.0 // messages a second: the slowest a throttling relay makes a send
	// maxStreak throttles in a row for one message put it on the retry
	// schedule after all (an attempt counted), so that a relay that never
	// takes it, or a reply taken for a throttle that is not one, does not
	// keep it in line for ever.
	maxStreak = 5
)

func newGovernor(configured *rate.Limiter) *governor {
	g := &governor{lim: rate.NewLimiter(rate.Inf, 1), ceiling: math.Inf(1), pace: math.Inf(1), streak: map[int64]int{}}
	if configured != nil && configured.Limit() != rate.Inf {
		g.ceiling = float64(configured.Limit())
	}
	return g
}

// wait takes the learned pace's token for the next attempt and returns
// when the attempt starts. The governor keeps real time, as the limiter
// does, whatever clock the sender's records use.
func (g *governor) wait(ctx context.Context) (time.Time, error) {
	if err := g.lim.Wait(ctx); err != nil {
		return time.Time{}, err
	}
	t := time.Now()
	g.mu.Lock()
	g.attempts.add(t)
	g.mu.Unlock()
	return t, nil
}

// throttle notes a throttle reply to job's message, started at start, and
// reports whether the job has been throttled maxStreak times in a row.
func (g *governor) throttle(job int64, start time.Time) (giveUp bool) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.throttled++
	g.streak[job]++
	if !start.After(g.cutAt) {
		return g.streakOver(job)
	}
	current := g.pace
	if math.IsInf(current, 1) {
		current = min(g.attempts.rate(now), g.ceiling)
	}
	g.pace = max(minPace, current/2)
	g.step = max(g.pace/growParts, 0.5)
	g.cutAt, g.grownAt = now, now
	g.lim.SetLimit(rate.Limit(g.pace))
	return g.streakOver(job)
}

func (g *governor) streakOver(job int64) bool {
	if g.streak[job] < maxStreak {
		return false
	}
	delete(g.streak, job)
	return true
}

// done notes any other outcome of job: its streak ends, and the pace grows
// by a step for every growEvery since it last grew.
func (g *governor) done(job int64) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.streak, job)
	if math.IsInf(g.pace, 1) {
		return
	}
	if now.Sub(g.grownAt) < growEvery {
		return
	}
	for now.Sub(g.grownAt) >= growEvery {
		g.grownAt = g.grownAt.Add(growEvery)
		g.pace += g.step
	}
	if g.pace > g.ceiling {
		g.pace = math.Inf(1) // the configured limiter alone paces again
		g.lim.SetLimit(rate.Inf)
		return
	}
	g.lim.SetLimit(rate.Limit(g.pace))
}

// learned is the pace the relay's throttles taught, 0 while not holding back.
func (g *governor) learned() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if math.IsInf(g.pace, 1) {
		return 0
	}
	return g.pace
}

// meter counts events in 50 ms slots over the last second.
type meter struct {
	slots [20]int
	last  int64 // the newest slot, in 50 ms since the epoch
	first time.Time
}

const meterSlot = 50 * time.Millisecond

func (m *meter) advance(now int64) {
	for s := m.last + 1; s <= now && s <= m.last+int64(len(m.slots)); s++ {
		m.slots[s%int64(len(m.slots))] = 0
	}
	m.last = max(m.last, now)
}

func (m *meter) add(t time.Time) {
	if m.first.IsZero() {
		m.first = t
	}
	s := t.UnixMilli() / meterSlot.Milliseconds()
	m.advance(s)
	m.slots[s%int64(len(m.slots))]++
}

// rate is the events a second over the last second, or over the time since
// the first event when that is shorter (the start of a send).
func (m *meter) rate(now time.Time) float64 {
	m.advance(now.UnixMilli() / meterSlot.Milliseconds())
	n := 0
	for _, c := range m.slots {
		n += c
	}
	span := min(max(now.Sub(m.first), meterSlot), time.Duration(len(m.slots))*meterSlot)
	return float64(n) / span.Seconds()
}
