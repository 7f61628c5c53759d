package outhooks

import (
	"math/rand/v2"
	"time"
)

// The retry schedule: exponential from FirstRetry, capped at MaxRetry,
// with full jitter — each delay drawn uniformly from [0, window] (Marc
// Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015),
// so that receivers coming back from an outage are not hit by every
// sender at once; Standard Webhooks ("Deliverability and reliability")
// asks for exponential backoff with jitter. After GiveUpAfter from the
// event the event fails.
const (
	FirstRetry  = 10 * time.Second
	MaxRetry    = 6 * time.Hour
	GiveUpAfter = 24 * time.Hour
	// minRetry keeps a draw near zero from retrying at once.
	minRetry = time.Second
)

// window is the largest delay after the attempt-th failed attempt (1, 2, …):
// 10 s, 20 s, 40 s … up to 6 h.
func window(attempt int) time.Duration {
	w := FirstRetry
	for i := 1; i < attempt && w < MaxRetry; i++ {
		w *= 2
	}
	return min(w, MaxRetry)
}

// Jitter draws a delay in [0, max]; tests pass their own.
type Jitter func(max time.Duration) time.Duration

func fullJitter(max time.Duration) time.Duration { return rand.N(max + 1) }

// Backoff is the delay before the next attempt after the attempt-th
// failure; j nil is the uniform draw.
func Backoff(attempt int, j Jitter) time.Duration {
	if j == nil {
		j = fullJitter
	}
	return max(j(window(attempt)), minRetry)
}
