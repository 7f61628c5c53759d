package termprogress

import (
	"bytes"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/schollz/progressbar/v3"

	"mailer/internal/delivery"
)

// TestShownRateNeverExceedsTheLimit: a send at 10/s starts with the
// limiter's burst of 10 at once; the rate shown never counts that burst.
func TestShownRateNeverExceedsTheLimit(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	p := &Progress{start: t0}
	for range 10 {
		p.recent.add(t0) // the burst
	}
	for i := 1; i <= 200; i++ {
		now := t0.Add(time.Duration(i) * 100 * time.Millisecond) // then 10/s
		p.recent.add(now)
		text := p.rateText(now)
		if now.Sub(t0) < rateWindowSize {
			if text != "rate: measuring" {
				t.Fatalf("at %v: %q before a whole window", now.Sub(t0), text)
			}
			continue
		}
		r, err := strconv.ParseFloat(strings.Fields(text)[0], 64)
		if err != nil || r > 10.2 {
			t.Fatalf("at %v the rate shown is %q: above the 10/s limit", now.Sub(t0), text)
		}
	}
}

// TestPauseIsSaidOnce: every worker reports the caps' pause; the person
// reads it once per pause.
func TestPauseIsSaidOnce(t *testing.T) {
	var out bytes.Buffer
	p := &Progress{out: &out}
	until := time.Now().Add(time.Hour)
	for range 4 {
		p.Pause(until)
	}
	p.Pause(until.Add(time.Hour))
	if n := strings.Count(out.String(), "Paused:"); n != 2 {
		t.Fatalf("%d pause lines for 2 pauses:\n%s", n, out.String())
	}
}

// TestBarAndTextAgree: on a resumed send, the bar's count and the text
// beside it come from the same numbers.
func TestBarAndTextAgree(t *testing.T) {
	var out bytes.Buffer
	c := delivery.Counts{Sent: 10, Queued: 40}
	p := &Progress{out: &out, start: time.Now(), total: c.Total(), sent: c.Sent, sentAtStart: c.Sent, done: make(chan struct{})}
	p.bar = progressbar.NewOptions(p.total, progressbar.OptionSetWriter(&out), progressbar.OptionSetWidth(10),
		progressbar.OptionThrottle(0))
	p.bar.Set(c.Sent)
	for i := range 7 {
		outcome := delivery.Sent
		if i == 3 {
			outcome = delivery.Failed
		}
		p.Result(delivery.Job{}, delivery.Result{Outcome: outcome})
	}
	p.Stop()
	frames := regexp.MustCompile(`(\d+)/50: sent (\d+), deferred \d+, failed (\d+)`).FindAllStringSubmatch(out.String(), -1)
	if len(frames) == 0 {
		t.Fatalf("no frame in %q", out.String())
	}
	for _, f := range frames {
		count, _ := strconv.Atoi(f[1])
		sent, _ := strconv.Atoi(f[2])
		failed, _ := strconv.Atoi(f[3])
		if sent+failed != count {
			t.Fatalf("bar shows %d, text sent %d failed %d: %q", count, sent, failed, f[0])
		}
	}
	last := frames[len(frames)-1]
	if last[2] != "16" || last[3] != "1" || strings.Count(out.String(), "/50") != len(frames) {
		t.Fatalf("last frame %q, want sent 16 failed 1", last[0])
	}
}

// TestThrottleShowsTheLearnedPace: after the relay throttles, the bar's
// text and the log line say so and show the pace it taught; before, they
// say nothing of it.
func TestThrottleShowsTheLearnedPace(t *testing.T) {
	var out bytes.Buffer
	p := &Progress{out: &out, start: time.Now(), total: 3, done: make(chan struct{}),
		log: slog.New(slog.NewTextHandler(&out, nil))}
	p.bar = progressbar.NewOptions(p.total, progressbar.OptionSetWriter(&out), progressbar.OptionThrottle(0))
	p.Result(delivery.Job{}, delivery.Result{Outcome: delivery.Sent})
	p.logLine()
	if strings.Contains(out.String(), "throttled") {
		t.Fatalf("throttling shown before any throttle: %q", out.String())
	}
	p.Result(delivery.Job{}, delivery.Result{Outcome: delivery.Requeue, Throttled: true, Pace: 75})
	p.Result(delivery.Job{}, delivery.Result{Outcome: delivery.Sent, Pace: 75.4})
	p.logLine()
	p.Stop()
	s := out.String()
	if !strings.Contains(s, "relay throttled 1: paced at 75 msg/s") {
		t.Errorf("bar text without the pace: %q", s)
	}
	if !strings.Contains(s, `throttled=1 pace="75 msg/s"`) {
		t.Errorf("log line without the pace: %q", s)
	}
}
