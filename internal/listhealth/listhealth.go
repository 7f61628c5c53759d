// Package listhealth is a list's health at a glance, for the owners'
// console and the API alike: who is on the list, who came and went day by
// day, and how its latest sends fared against the rates that make a send
// pause itself (the circuit breaker, package sending).
package listhealth

import (
	"context"
	"time"

	"mailer/internal/sending"
	"mailer/internal/store"
)

// Store is what the health needs of the store.
type Store interface {
	Moves(ctx context.Context, l *store.List, since time.Time) ([]store.DayMoves, error)
	Sends(ctx context.Context, issue string) ([]*store.Send, error)
	SendComplaints(ctx context.Context, sendID int64) (int, error)
	SendHardBounces(ctx context.Context, sendID int64) (int, error)
}

// Health is one list's state.
type Health struct {
	List   *store.List `json:"list"`
	Days   []Day       `json:"days"`  // every day of the range, oldest first, zeros included
	Sends  []SendRates `json:"sends"` // the latest sends, newest first
	Limits Limits      `json:"limits"`
}

// Day is one day's joins and departures.
type Day struct {
	Day    string `json:"day"` // YYYY-MM-DD, UTC
	Joined int    `json:"joined"`
	Left   int    `json:"left"`
}

// SendRates is how one send fared. Hard bounces are the refusals met
// while sending and the bounce reports tied to the send since; rates are
// percentages, as the breaker's limits.
type SendRates struct {
	ID            int64           `json:"id"`
	Issue         string          `json:"issue"`
	State         store.SendState `json:"state"`
	Started       time.Time       `json:"started_at"`
	Delivered     int             `json:"delivered"`
	HardBounces   int             `json:"hard_bounces"`
	Complaints    int             `json:"complaints"`
	BounceRate    float64         `json:"bounce_rate"`
	ComplaintRate float64         `json:"complaint_rate"`
}

// Limits are the rates past which a send pauses itself.
type Limits struct {
	BounceRate    float64 `json:"bounce_rate"`
	ComplaintRate float64 `json:"complaint_rate"`
	MinAttempts   int     `json:"min_attempts"`
}

// Options say how far back to look.
type Options struct {
	Days  int // the chart's range; 90 when 0
	Sends int // how many of the latest sends; 5 when 0
	Now   time.Time
}

// Of reads l's health under the breaker policy p.
func Of(ctx context.Context, db Store, l *store.List, p sending.BreakerPolicy, o Options) (*Health, error) {
	o = o.withDefaults()
	h := &Health{List: l, Limits: Limits{BounceRate: p.BounceRate, ComplaintRate: p.ComplaintRate, MinAttempts: p.MinAttempts}}
	first := o.Now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1-o.Days)
	moves, err := db.Moves(ctx, l, first)
	if err != nil {
		return nil, err
	}
	h.Days = everyDay(first, o.Days, moves)
	if h.Sends, err = latestSends(ctx, db, l, o.Sends); err != nil {
		return nil, err
	}
	return h, nil
}

func (o Options) withDefaults() Options {
	if o.Days <= 0 {
		o.Days = 90
	}
	if o.Sends <= 0 {
		o.Sends = 5
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return o
}

// everyDay spreads the days that had moves over the whole range, so a
// chart's bars sit at their dates.
func everyDay(first time.Time, n int, moves []store.DayMoves) []Day {
	byDay := map[string]store.DayMoves{}
	for _, m := range moves {
		byDay[m.Day] = m
	}
	out := make([]Day, n)
	for i := range out {
		d := first.AddDate(0, 0, i).Format(time.DateOnly)
		out[i] = Day{Day: d, Joined: byDay[d].Joined, Left: byDay[d].Left}
	}
	return out
}

func latestSends(ctx context.Context, db Store, l *store.List, n int) ([]SendRates, error) {
	sends, err := db.Sends(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []SendRates
	for _, s := range sends { // newest first
		if len(out) == n {
			break
		}
		if s.ListID != l.ID {
			continue
		}
		r, err := ratesOf(ctx, db, s)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ratesOf judges a send as its breaker does: hard bounces over the
// attempts (delivered and refused for good), complaints over deliveries.
func ratesOf(ctx context.Context, db Store, s *store.Send) (SendRates, error) {
	complaints, err := db.SendComplaints(ctx, s.ID)
	if err != nil {
		return SendRates{}, err
	}
	reports, err := db.SendHardBounces(ctx, s.ID)
	if err != nil {
		return SendRates{}, err
	}
	r := SendRates{ID: s.ID, Issue: s.Issue, State: s.State, Started: s.CreatedAt, Delivered: s.Counts.Sent,
		HardBounces: s.Counts.Failed + reports, Complaints: complaints}
	if attempts := s.Counts.Sent + s.Counts.Failed; attempts > 0 {
		r.BounceRate = 100 * float64(min(r.HardBounces, attempts)) / float64(attempts)
	}
	if r.Delivered > 0 {
		r.ComplaintRate = 100 * float64(r.Complaints) / float64(r.Delivered)
	}
	return r, nil
}
