package sending_test

import (
	"strings"
	"testing"

	"mailer/internal/delivery"
	"mailer/internal/sending"
)

var (
	delivered  = delivery.Result{Outcome: delivery.Sent, Reply: "250 accepted"}
	refused    = delivery.Result{Outcome: delivery.Failed, Permanent: true, Reply: "550 5.1.1 <x@example.org>: user unknown"}
	deferred   = delivery.Result{Outcome: delivery.Deferred, Reply: "451 4.7.1 try again later"}
	throttled  = delivery.Result{Outcome: "throttled", Reply: "421 4.7.0 too many messages, slow down"}
	requeued   = delivery.Result{Outcome: delivery.Requeue, Reply: "553 sender refused"}
	unsendable = delivery.Result{Outcome: delivery.Failed, Reply: "not sent: the server does not offer SMTPUTF8"}
	// A permanent flag on something that is no 5xx reply is not a bounce.
	oddPermanent = delivery.Result{Outcome: delivery.Failed, Permanent: true, Reply: "connection reset"}
)

// run is a stretch of n results of one kind.
type run struct {
	n int
	r delivery.Result
}

// every spreads k refusals evenly over n attempts, each at the end of its
// share: no prefix has more than its share.
func every(n, k int) []run {
	var out []run
	for i := range n {
		if (i*k)%n >= n-k {
			out = append(out, run{1, refused})
		} else {
			out = append(out, run{1, delivered})
		}
	}
	return out
}

// TestBreakerTable: the hard bounce rate over the window of recent
// attempts trips the breaker once it passes the limit on at least the
// minimum sample; what is no attempt or no 5xx never counts; a rate of 0
// turns it off. tripAt is the attempt (result) that trips it, 0 for none.
func TestBreakerTable(t *testing.T) {
	def := sending.BreakerPolicy{BounceRate: 10, MinAttempts: 100, Window: 500}
	tests := []struct {
		name   string
		p      sending.BreakerPolicy
		runs   []run
		tripAt int
		want   string // in the reason
	}{
		{"a stale list, 40% refused, trips at the minimum sample", def, every(2000, 800), 100, "40 of the last 100 attempts"},
		{"refusals before the minimum sample wait for it", def, []run{{99, refused}, {1, delivered}}, 100, "99 of the last 100"},
		{"exactly the limit does not pass it", def, every(1000, 100), 0, ""},
		{"a steady rate under the limit never trips, however long", def, every(20000, 1900), 0, ""},
		{"an early burst under the limit leaves the window", def, append([]run{{9, refused}, {91, delivered}, {2000, delivered}}, every(500, 45)...), 0, ""},
		{"a late bad stretch trips though the whole send is fine", def, append([]run{{5000, delivered}}, every(500, 100)...), 5000 + 255, "51 of the last 500 attempts"},
		{"4xx, throttled, requeued and our own failures never count", def,
			[]run{{300, deferred}, {300, throttled}, {300, requeued}, {300, unsendable}, {300, oddPermanent}, {60, delivered}, {9, refused}}, 0, ""},
		{"they are not attempts either: the sample is the 5xx and deliveries", def,
			[]run{{50, delivered}, {500, deferred}, {11, refused}, {39, delivered}}, 600, "11 of the last 100"},
		{"breaker_bounce_rate = 0 turns it off", sending.BreakerPolicy{MinAttempts: 100, Window: 500}, []run{{2000, refused}}, 0, ""},
		{"a window smaller than the sample grows to it", sending.BreakerPolicy{BounceRate: 10, MinAttempts: 100, Window: 10},
			[]run{{90, delivered}, {11, refused}}, 101, "11 of the last 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := sending.NewBreaker(tt.p)
			at, i := 0, 0
			for _, r := range tt.runs {
				for range r.n {
					i++
					if b.Record(r.r) && at == 0 {
						at = i
					}
				}
			}
			rate, reason := b.Tripped()
			if at != tt.tripAt || !strings.Contains(reason, tt.want) || (at == 0) != (reason == "") {
				t.Fatalf("tripped at %d (%v%%: %q), want at %d naming %q", at, rate, reason, tt.tripAt, tt.want)
			}
			if at != 0 && (rate <= tt.p.BounceRate || !strings.Contains(reason, sending.Percent(rate)) || !strings.Contains(reason, "limit of 10%")) {
				t.Fatalf("rate %v, reason %q: want the rate over the limit, both named", rate, reason)
			}
		})
	}
}

// TestBreakerComplaints: complaints pass the limit (0.3% by default) of
// the messages delivered, once the minimum sample is delivered; a rate of
// 0 turns the check off; a tripped breaker stays tripped.
func TestBreakerComplaints(t *testing.T) {
	def := sending.BreakerPolicy{BounceRate: 10, ComplaintRate: 0.3, MinAttempts: 100, Window: 500}
	tests := []struct {
		p                     sending.BreakerPolicy
		complaints, delivered int
		trips                 bool
	}{
		{def, 3, 1000, false}, // 0.3%: at the limit, not past it
		{def, 4, 1000, true},  // 0.4%
		{def, 5, 99, false},   // under the minimum sample
		{def, 1, 100, true},   // 1%
		{def, 0, 100000, false},
		{sending.BreakerPolicy{BounceRate: 10, MinAttempts: 100, Window: 500}, 500, 1000, false},
	}
	for _, tt := range tests {
		b := sending.NewBreaker(tt.p)
		if got := b.Complaints(tt.complaints, tt.delivered); got != tt.trips {
			t.Errorf("%+v: %d complaints of %d delivered: tripped %v, want %v", tt.p, tt.complaints, tt.delivered, got, tt.trips)
		}
		if _, reason := b.Tripped(); tt.trips && !strings.Contains(reason, "spam complaint") {
			t.Errorf("reason %q names no complaints", reason)
		}
		if tt.trips && !b.Record(delivered) {
			t.Errorf("a tripped breaker reset itself")
		}
	}
}

func TestPercent(t *testing.T) {
	for in, want := range map[float64]string{40: "40%", 10.5: "10.5%", 0.3: "0.3%", 0.375: "0.38%", 100: "100%", 0: "0%"} {
		if got := sending.Percent(in); got != want {
			t.Errorf("Percent(%v) = %q, want %q", in, got, want)
		}
	}
}

// TestBreakerLateBounces: hard bounces reported by mail after delivery
// count in the window with the refusals; the first count is the base (a
// resumed send is not judged on the reports that paused it); reports age
// out of the window with the attempts they were learned at.
func TestBreakerLateBounces(t *testing.T) {
	def := sending.BreakerPolicy{BounceRate: 10, ComplaintRate: 0.3, MinAttempts: 100, Window: 500}
	deliver := func(b *sending.Breaker, n int, r delivery.Result) (tripped bool) {
		for range n {
			tripped = b.Record(r)
		}
		return tripped
	}

	b := sending.NewBreaker(def)
	if b.LateBounces(400) || deliver(b, 100, delivered) || b.LateBounces(400) {
		t.Fatal("reports from before the run tripped the breaker")
	}
	if b.LateBounces(410) { // 10 of 100: at the limit
		t.Fatal("10% tripped the breaker")
	}
	if !b.Record(refused) { // 11 of 101
		t.Fatal("a refusal on top of 10 reports did not trip the breaker")
	}
	if _, reason := b.Tripped(); !strings.Contains(reason, "11 of the last 101 attempts bounced for good (1 refused when sent, 10 reported by bounce mail since)") {
		t.Fatalf("reason %q", reason)
	}

	b = sending.NewBreaker(def)
	b.LateBounces(0)
	deliver(b, 100, delivered)
	b.LateBounces(10)
	deliver(b, 500, delivered) // the 10 leave the window
	b.LateBounces(10)
	if deliver(b, 45, refused) { // 45 of 500, 9%; with the 10 still counted it would be 11%
		_, reason := b.Tripped()
		t.Fatalf("reports older than the window still counted: %s", reason)
	}

	off := sending.NewBreaker(sending.BreakerPolicy{ComplaintRate: 0.3, MinAttempts: 100, Window: 500})
	off.LateBounces(0)
	deliver(off, 100, delivered)
	if off.LateBounces(100) {
		t.Fatal("a breaker with the bounce rate off tripped on reports")
	}
}
