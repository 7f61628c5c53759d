// Package termprogress draws a running send for the person at the terminal:
// a live bar on a terminal, log lines elsewhere.
package termprogress

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"mailer/internal/delivery"
)

// Progress reports a running send: a live bar on a terminal, otherwise a
// log line every interval, for cron jobs and systemd. The bar and the text
// come from the same counts, taken under one lock, so they never disagree.
type Progress struct {
	out   io.Writer // shared with other goroutines: a syncWriter
	start time.Time
	total int

	mu                     sync.Mutex
	sent, failed, deferred int
	sentAtStart            int
	throttled              int     // throttle replies: messages put back in line
	pace                   float64 // the rate the relay's throttles taught, 0 for none
	recent                 rateWindow
	lastPause              time.Time

	bar  *progressbar.ProgressBar
	log  *slog.Logger
	done chan struct{}
	once sync.Once
}

const progressLogEvery = 10 * time.Second

// New starts showing a send whose counts so far are c: a bar when
// interactive (standard error is a terminal), else a log line every
// progressLogEvery.
func New(out io.Writer, interactive bool, c delivery.Counts) *Progress {
	p := &Progress{out: out, start: time.Now(), total: c.Total(), sent: c.Sent, failed: c.Failed, deferred: c.Deferred,
		sentAtStart: c.Sent, done: make(chan struct{})}
	if interactive {
		// The bar spans the whole send, resumed or not. Its own count is
		// off: the bar draws when its text changes, before its count moves,
		// so the numbers are all in the text, written at once from one set
		// of counts. The rate is ours (rateWindow), not the bar's.
		p.bar = progressbar.NewOptions(p.total,
			progressbar.OptionSetWriter(out),
			progressbar.OptionSetDescription("sending"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
		)
		p.bar.Set(c.Sent + c.Failed)
		return p
	}
	p.log = slog.New(slog.NewTextHandler(out, nil))
	go func() {
		t := time.NewTicker(progressLogEvery)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.logLine()
			}
		}
	}()
	return p
}

// Result counts one delivery outcome.
func (p *Progress) Result(j delivery.Job, r delivery.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	wasDeferred := j.Attempts > 0
	if r.Throttled {
		p.throttled++
	}
	p.pace = r.Pace
	switch r.Outcome {
	case delivery.Sent:
		p.sent++
		p.recent.add(time.Now())
	case delivery.Failed:
		p.failed++
	case delivery.Deferred:
		if !wasDeferred {
			p.deferred++
		}
		return
	default:
		return
	}
	if wasDeferred && p.deferred > 0 {
		p.deferred--
	}
	if p.bar != nil {
		p.bar.Set(p.sent + p.failed)
		p.bar.Describe(fmt.Sprintf("%d/%d: sent %d, deferred %d, failed %d, %s%s", p.sent+p.failed, p.total, p.sent, p.deferred,
			p.failed, p.rateText(time.Now()), p.paceText()))
	}
}

// Pause says once that the caps hold sending back (every worker reports
// it; the person needs to read it once).
func (p *Progress) Pause(until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.Equal(p.lastPause) {
		return
	}
	p.lastPause = until
	fmt.Fprintf(p.out, "\nPaused: the per-hour or per-day cap is reached; sending resumes at %s.\n", until.Local().Format("15:04:05"))
}

// Wait says that the deferred messages wait for their retry at next.
func (p *Progress) Wait(next time.Time) {
	p.mu.Lock()
	n := p.deferred
	p.mu.Unlock()
	fmt.Fprintf(p.out, "\nWaiting: %d deferred message(s) left; the next attempt is at %s. Ctrl-C stops; running the same command again resumes.\n",
		n, next.Local().Format("2006-01-02 15:04:05"))
}

// rateText is the sending rate over the last window, once a whole window
// has passed: before that it would count the limiter's initial burst and
// show more than the set rate.
func (p *Progress) rateText(now time.Time) string {
	if now.Sub(p.start) < rateWindowSize {
		return "rate: measuring"
	}
	return fmt.Sprintf("%.1f msg/s", p.recent.rate(now))
}

// paceText says that the relay throttled the send and what rate that
// taught; nothing while it never did.
func (p *Progress) paceText() string {
	switch {
	case p.throttled == 0:
		return ""
	case p.pace > 0:
		return fmt.Sprintf(", relay throttled %d: paced at %.0f msg/s", p.throttled, p.pace)
	}
	return fmt.Sprintf(", relay throttled %d", p.throttled)
}

func (p *Progress) logLine() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	left := p.total - p.sent - p.failed
	rate := p.recent.rate(now)
	eta := "unknown"
	if rate > 0 && now.Sub(p.start) >= rateWindowSize {
		eta = time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second).String()
	}
	args := []any{"sent", p.sent, "deferred", p.deferred, "failed", p.failed, "left", left, "rate", p.rateText(now), "eta", eta}
	if p.throttled > 0 {
		args = append(args, "throttled", p.throttled, "pace", paceValue(p.pace))
	}
	p.log.Info("sending", args...)
}

// paceValue is a learned pace for a log line: "none" when not holding back.
func paceValue(pace float64) string {
	if pace <= 0 {
		return "none"
	}
	return fmt.Sprintf("%.0f msg/s", pace)
}

// Stop ends the bar or the log lines.
func (p *Progress) Stop() {
	p.once.Do(func() {
		close(p.done)
		if p.bar != nil {
			// Finish draws the bar full: only right when it is.
			p.mu.Lock()
			complete := p.sent+p.failed >= p.total // over the whole send
			p.mu.Unlock()
			if complete {
				p.bar.Finish()
			} else {
				p.bar.Exit()
			}
			fmt.Fprintln(p.out)
		}
	})
}

// Elapsed is the run's time and its average rate (this run's messages
// over this run's time, burst included: a summary, not a gauge).
func (p *Progress) Elapsed() string {
	el := time.Since(p.start).Round(time.Millisecond)
	p.mu.Lock()
	n := p.sent - p.sentAtStart
	p.mu.Unlock()
	if el > 0 && n > 0 {
		return fmt.Sprintf("%s, %.1f messages/s", el, float64(n)/el.Seconds())
	}
	return el.String()
}

// rateWindowSize is how far back the shown rate looks.
const rateWindowSize = 5 * time.Second

// rateWindow counts sends per 100 ms slot over the last rateWindowSize.
type rateWindow struct {
	slots [50]int
	last  int64 // the slot of the newest send, in 100 ms since the epoch
}

func (w *rateWindow) slot(t time.Time) int64 { return t.UnixMilli() / 100 }

func (w *rateWindow) advance(now int64) {
	for s := w.last + 1; s <= now && s <= w.last+int64(len(w.slots)); s++ {
		w.slots[s%int64(len(w.slots))] = 0
	}
	if now > w.last {
		w.last = now
	}
}

func (w *rateWindow) add(t time.Time) {
	s := w.slot(t)
	w.advance(s)
	w.slots[s%int64(len(w.slots))]++
}

func (w *rateWindow) rate(now time.Time) float64 {
	w.advance(w.slot(now))
	n := 0
	for _, c := range w.slots {
		n += c
	}
	return float64(n) / rateWindowSize.Seconds()
}

// Seconds is the run's time so far.
func (p *Progress) Seconds() float64 { return time.Since(p.start).Seconds() }
