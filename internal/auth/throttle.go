package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mailer/internal/fault"
	"mailer/internal/store"
)

// The schedule of slowing down failed logins (OWASP's Authentication
// Cheat Sheet, "Login Throttling"): five failures an hour are free, a
// typo's worth; after that each attempt waits a delay that doubles from
// 30 seconds up to 15 minutes, counted from the last failure. It applies
// to the address tried and to the client trying, apart: one guesser
// cannot try many passwords for one owner, nor one password for many.
const (
	FreeFailures  = 5
	FirstDelay    = 30 * time.Second
	MaxDelay      = 15 * time.Minute
	FailureWindow = time.Hour
)

// Throttled is why a login was refused unchecked: too many failures
// lately. Login returns it inside a fault.Unavailable.
type Throttled struct {
	Wait time.Duration
}

func (t *Throttled) Error() string {
	return fmt.Sprintf("too many failed logins: try again in %s", t.Wait.Round(time.Second))
}

// RetryAfter is how long a throttled login must wait (0 for any other
// error), for a Retry-After header (RFC 9110 §10.2.3).
func RetryAfter(err error) time.Duration {
	var t *Throttled
	if errors.As(err, &t) {
		return t.Wait
	}
	return 0
}

// Delay is the wait before the next attempt after n failures in the
// window.
func Delay(n int) time.Duration {
	if n < FreeFailures {
		return 0
	}
	d := FirstDelay
	for i := FreeFailures; i < n && d < MaxDelay; i++ {
		d *= 2
	}
	return min(d, MaxDelay)
}

// throttled is a Throttled fault when the address or the client must
// still wait, nil when they may try.
func (s *Service) throttled(ctx context.Context, email, client string) error {
	now := s.now()
	var wait time.Duration
	for _, k := range [][2]string{{store.FailureAddress, email}, {store.FailureClient, client}} {
		if k[1] == "" {
			continue
		}
		n, last, err := s.db.LoginFailures(ctx, k[0], k[1], now.Add(-FailureWindow))
		if err != nil {
			return err
		}
		wait = max(wait, last.Add(Delay(n)).Sub(now))
	}
	if wait <= 0 {
		return nil
	}
	return fault.Coded(fault.Unavailable, &Throttled{Wait: wait})
}
