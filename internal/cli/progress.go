package cli

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"mailer/internal/delivery"
)

// progress reports a running send: a live bar on a terminal, otherwise a
// log line every interval, for cron jobs and systemd.
type progress struct {
	out   io.Writer // shared with other goroutines: a syncWriter
	start time.Time
	total int

	mu                     sync.Mutex
	sent, failed, deferred int
	sentAtStart            int

	bar  *progressbar.ProgressBar
	log  *slog.Logger
	done chan struct{}
	once sync.Once
}

const progressLogEvery = 10 * time.Second

func newProgress(d *Deps, out io.Writer, c delivery.Counts) *progress {
	p := &progress{out: out, start: time.Now(), total: c.Total(), sent: c.Sent, failed: c.Failed, deferred: c.Deferred,
		sentAtStart: c.Sent, done: make(chan struct{})}
	if d.InteractiveErr() {
		// The bar counts this run's messages only, so that its rate and
		// time left are this run's too when a send resumes.
		p.bar = progressbar.NewOptions(p.total-c.Sent-c.Failed,
			progressbar.OptionSetWriter(out),
			progressbar.OptionSetDescription("sending"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("msg"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
		)
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

func (p *progress) result(j delivery.Job, r delivery.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	wasDeferred := j.Attempts > 0
	switch r.Outcome {
	case delivery.Sent:
		p.sent++
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
		p.bar.Describe(fmt.Sprintf("sent %d, deferred %d, failed %d", p.sent, p.deferred, p.failed))
		p.bar.Add(1)
	}
}

func (p *progress) pause(until time.Time) {
	fmt.Fprintf(p.out, "\nPaused: the per-hour or per-day cap is reached; sending resumes at %s.\n", until.Local().Format("15:04:05"))
}

func (p *progress) wait(next time.Time) {
	p.mu.Lock()
	n := p.deferred
	p.mu.Unlock()
	fmt.Fprintf(p.out, "\nWaiting: %d deferred message(s) left; the next attempt is at %s. Ctrl-C stops; running the same command again resumes.\n",
		n, next.Local().Format("2006-01-02 15:04:05"))
}

func (p *progress) logLine() {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start)
	rate := float64(p.sent-p.sentAtStart) / el.Seconds()
	left := p.total - p.sent - p.failed
	eta := "unknown"
	if rate > 0 {
		eta = time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second).String()
	}
	p.log.Info("sending", "sent", p.sent, "deferred", p.deferred, "failed", p.failed, "left", left,
		"rate_per_s", fmt.Sprintf("%.1f", rate), "eta", eta)
}

func (p *progress) stop() {
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

func (p *progress) elapsed() string {
	el := time.Since(p.start).Round(time.Millisecond)
	p.mu.Lock()
	n := p.sent - p.sentAtStart
	p.mu.Unlock()
	if el > 0 && n > 0 {
		return fmt.Sprintf("%s, %.1f messages/s", el, float64(n)/el.Seconds())
	}
	return el.String()
}
