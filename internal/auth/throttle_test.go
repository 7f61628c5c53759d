package auth_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"mailer/internal/auth"
	"mailer/internal/fault"
)

// TestThrottleByAddress: five wrong passwords are free; then every
// attempt waits 30 s, 1, 2, 4, 8 minutes, then 15 at most, counted from
// the last failure; while waiting even the right password is refused,
// as Unavailable with the wait; a login after the wait clears the count.
func TestThrottleByAddress(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.password("alex@example.org", pw, nil)
	for i := range auth.FreeFailures {
		if _, err := e.svc.Login(ctx, "alex@example.org", "wrong", fmt.Sprint("client-", i)); fault.CodeOf(err) != fault.Unauthenticated {
			t.Fatalf("free failure %d: %v", i+1, err)
		}
	}
	for _, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		15 * time.Minute, 15 * time.Minute} {
		_, err := e.svc.Login(ctx, "Alex@example.org", pw, "elsewhere") // another client: the address is throttled
		if fault.CodeOf(err) != fault.Unavailable || auth.RetryAfter(err) != want || !strings.Contains(err.Error(), "try again in") {
			t.Fatalf("right password while throttled: %v (retry after %v), want a wait of %v", err, auth.RetryAfter(err), want)
		}
		e.clk.Advance(want - time.Second)
		if _, err := e.svc.Login(ctx, "alex@example.org", pw, "elsewhere"); auth.RetryAfter(err) != time.Second {
			t.Fatalf("a second before the end of %v: %v", want, err)
		}
		e.clk.Advance(time.Second)
		if _, err := e.svc.Login(ctx, "alex@example.org", "wrong", "elsewhere"); fault.CodeOf(err) != fault.Unauthenticated {
			t.Fatalf("after %v: %v", want, err)
		}
	}
	e.clk.Advance(15 * time.Minute)
	if _, err := e.svc.Login(ctx, "alex@example.org", pw, "elsewhere"); err != nil {
		t.Fatalf("after the wait, the right password: %v", err)
	}
	for i := range auth.FreeFailures {
		if _, err := e.svc.Login(ctx, "alex@example.org", "wrong", "elsewhere-2"); fault.CodeOf(err) != fault.Unauthenticated {
			t.Fatalf("after a login, free failure %d: %v", i+1, err)
		}
	}
	if _, err := e.svc.Login(ctx, "alex@example.org", pw, "elsewhere-2"); auth.RetryAfter(err) != 30*time.Second {
		t.Fatalf("five failures after the login: %v", err)
	}
}

// TestThrottleByClient: one client failing with five addresses (known or
// not) waits too, for any address; another client is not slowed down by
// it; failures older than an hour are forgotten.
func TestThrottleByClient(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.password("alex@example.org", pw, nil)
	for i := range auth.FreeFailures {
		if _, err := e.svc.Login(ctx, fmt.Sprintf("guess%d@example.org", i), pw, "203.0.113.9"); fault.CodeOf(err) != fault.Unauthenticated {
			t.Fatalf("free failure %d: %v", i+1, err)
		}
	}
	if _, err := e.svc.Login(ctx, "alex@example.org", pw, "203.0.113.9"); auth.RetryAfter(err) != 30*time.Second {
		t.Fatalf("the guessing client, a right password: %v", err)
	}
	if _, err := e.svc.Login(ctx, "alex@example.org", pw, "192.0.2.1"); err != nil {
		t.Fatalf("another client: %v", err)
	}
	e.clk.Advance(30 * time.Second)
	e.svc.Login(ctx, "guess9@example.org", pw, "203.0.113.9")
	if _, err := e.svc.Login(ctx, "alex@example.org", pw, "203.0.113.9"); auth.RetryAfter(err) != time.Minute {
		t.Fatalf("the client's sixth failure: %v", err)
	}
	e.clk.Advance(auth.FailureWindow)
	if _, err := e.svc.Login(ctx, "alex@example.org", pw, "203.0.113.9"); err != nil {
		t.Fatalf("an hour later: %v", err)
	}
}
