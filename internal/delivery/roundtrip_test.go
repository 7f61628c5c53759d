package delivery_test

import (
	"context"
	"testing"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/smtptest"
)

// BenchmarkRoundTrip delivers over connections to a server 50 ms away
// (every byte it writes delayed by that much), where the round trips, not
// the CPU, set the pace. It reports messages a second per connection next
// to 1/RTT, the most a client that waits for each message's final reply
// can do: one command at a time costs four round trips a message (MAIL,
// RCPT, DATA, the text); pipelining the next transaction behind the end of
// the last one, and BDAT where offered, brings it to one.
func BenchmarkRoundTrip(b *testing.B) {
	const rtt = 50 * time.Millisecond
	const conns, perConn = 4, 40
	modes := []struct {
		name                     string
		noPipelining, noChunking bool
	}{{"one-command-at-a-time", true, true}, {"pipelined-DATA", false, true}, {"pipelined-BDAT", false, false}}
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				f := newFixture(b, conns*perConn)
				f.srv = smtptest.StartWith(b, smtptest.Options{Latency: rtt})
				f.prefetch, f.noPipelining, f.noChunking = true, m.noPipelining, m.noChunking
				s := f.sender(b, delivery.Options{Concurrency: conns})
				b.StartTimer()
				start := time.Now()
				if err := s.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				if got := len(f.srv.Messages()); got != conns*perConn {
					b.Fatalf("%d messages delivered", got)
				}
				// The first message of each connection pays for the
				// greeting, EHLO and its own envelope: count from there.
				perSec := float64(perConn) / elapsed.Seconds()
				b.ReportMetric(perSec, "msgs/s/conn")
				b.ReportMetric(perSec*rtt.Seconds(), "of-1/RTT")
				b.Logf("%s: %d connections, RTT %v: %.1f msgs/s per connection, 1/RTT = %.0f (%.2f)", m.name, conns, rtt,
					perSec, 1/rtt.Seconds(), perSec*rtt.Seconds())
			}
		})
	}
}
