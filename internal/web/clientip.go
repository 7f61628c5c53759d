package web

import (
	"net/http"
	"sync"

	"golang.org/x/time/rate"

	"mailer/internal/clientip"
)

// clientIP is the visitor's address (internal/clientip: behind a trusted
// proxy, the hop before it).
func (s *Server) clientIP(r *http.Request) string { return clientip.Of(r, s.o.TrustedProxies) }

// ipLimiter is a token bucket per client address.
type ipLimiter struct {
	mu      sync.Mutex
	perMin  int
	buckets map[string]*rate.Limiter
}

func newIPLimiter(perMinute int) *ipLimiter {
	return &ipLimiter{perMin: perMinute, buckets: map[string]*rate.Limiter{}}
}

func (l *ipLimiter) allow(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[ip]
	if !ok {
		// Bounded memory under a flood of addresses: start over; the worst
		// case is a few extra requests let through.
		if len(l.buckets) > 100_000 {
			l.buckets = map[string]*rate.Limiter{}
		}
		b = rate.NewLimiter(rate.Limit(float64(l.perMin)/60), l.perMin)
		l.buckets[ip] = b
	}
	return b.Allow()
}
