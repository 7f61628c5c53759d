package delivery_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/pgtest"
	"mailer/internal/smtptest"
)

// throttleRun is what a send against a throttling relay measured.
type throttleRun struct {
	elapsed   time.Duration
	throttled int     // throttle replies the relay gave
	pace      float64 // the pace learned at the end, 0 for none
	results   []delivery.Result
}

// sendThrottled sends to n members through a relay taking perSecond
// messages a second and answering the rest as limit says, with the
// settings `mailer send` uses by default (4 connections, prefetch, the
// real retry schedule: a message put on it would take a minute).
func sendThrottled(tb testing.TB, limit smtptest.RateLimit, n, perSecond int) (*fixture, throttleRun) {
	f := newFixture(tb, n)
	limit.PerSecond = perSecond
	f.srv = smtptest.StartWith(tb, smtptest.Options{RateLimit: &limit})
	f.prefetch = true
	var mu sync.Mutex
	var run throttleRun
	s := f.sender(tb, delivery.Options{Concurrency: 4, Retry: []time.Duration{time.Minute, 5 * time.Minute},
		OnResult: func(_ delivery.Job, r delivery.Result) {
			mu.Lock()
			run.results = append(run.results, r)
			mu.Unlock()
		}})
	start := time.Now()
	if err := s.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	run.elapsed = time.Since(start)
	run.throttled, _ = s.Throttled()
	for _, r := range run.results {
		if r.Outcome == delivery.Sent {
			run.pace = r.Pace
		}
	}
	return f, run
}

// TestThrottlingRelay is issue 22's relay: 150 messages a second, the rest
// refused in Amazon SES's words (454 after DATA, the session kept) or
// Gmail's (421 4.7.0 and the connection closed). All 1,500 members get
// their copy within twice the ideal 10 s, fewer than 20% of the attempts
// are throttled, and no throttle is a failure or goes on the retry
// schedule.
func TestThrottlingRelay(t *testing.T) {
	if pgtest.Backend == "postgres" {
		t.Skip("the pace does not depend on the queue's store: timed once, on SQLite")
	}
	const n, perSecond = 1500, 150
	ideal := time.Duration(n/perSecond) * time.Second
	for _, c := range []struct {
		name  string
		limit smtptest.RateLimit
	}{{"SES-454", smtptest.SESThrottle}, {"Gmail-421-close", smtptest.GmailThrottle}} {
		t.Run(c.name, func(t *testing.T) {
			f, run := sendThrottled(t, c.limit, n, perSecond)
			t.Logf("%s: %d messages through a relay taking %d/s: %v (ideal %v, %.2fx), %d throttled (%.1f%%), %d sessions, learned pace %.0f msg/s",
				c.name, n, perSecond, run.elapsed.Round(time.Millisecond), ideal, run.elapsed.Seconds()/ideal.Seconds(),
				run.throttled, 100*float64(run.throttled)/n, f.srv.Sessions.Load(), run.pace)
			got := f.srv.ByRecipient()
			for _, a := range f.addr {
				if got[a] != 1 {
					t.Fatalf("%s received %d copies", a, got[a])
				}
			}
			if cnt := f.counts(t); cnt.Sent != n || cnt.Deferred != 0 || cnt.Failed != 0 {
				t.Errorf("counts %+v", cnt)
			}
			if run.elapsed > 2*ideal {
				t.Errorf("took %v, more than twice the ideal %v", run.elapsed, ideal)
			}
			if run.throttled >= n/5 || int64(run.throttled) != f.srv.Throttled.Load() {
				t.Errorf("%d throttle replies counted, the relay gave %d (limit %d)", run.throttled, f.srv.Throttled.Load(), n/5)
			}
			checkThrottleResults(t, run.results)
		})
	}
}

// checkThrottleResults: a throttle is never a failure, never permanent, and
// puts the message back in line rather than on the retry schedule.
func checkThrottleResults(t *testing.T, results []delivery.Result) {
	t.Helper()
	seen := 0
	for _, r := range results {
		if !r.Throttled {
			continue
		}
		seen++
		if r.Outcome != delivery.Requeue || r.Permanent || r.Pace <= 0 {
			t.Fatalf("throttled result %+v", r)
		}
	}
	if seen == 0 {
		t.Error("the relay never throttled: the test proves nothing")
	}
}

// BenchmarkThrottlingRelay is TestThrottlingRelay's send as a benchmark
// (make bench), reporting the time over the ideal and the share of the
// attempts throttled, for both ways of refusing.
func BenchmarkThrottlingRelay(b *testing.B) {
	const n, perSecond = 1500, 150
	ideal := time.Duration(n/perSecond) * time.Second
	for _, c := range []struct {
		name  string
		limit smtptest.RateLimit
	}{{"SES-454", smtptest.SESThrottle}, {"Gmail-421-close", smtptest.GmailThrottle}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				f, run := sendThrottled(b, c.limit, n, perSecond)
				if got := len(f.srv.Messages()); got != n {
					b.Fatalf("%d of %d delivered", got, n)
				}
				b.ReportMetric(run.elapsed.Seconds()/ideal.Seconds(), "x-ideal")
				b.ReportMetric(100*float64(run.throttled)/n, "%throttled")
				b.Logf("%s: %d messages, relay %d/s: %v (%.2fx ideal), %d throttled", c.name, n, perSecond,
					run.elapsed.Round(time.Millisecond), run.elapsed.Seconds()/ideal.Seconds(), run.throttled)
			}
		})
	}
}
