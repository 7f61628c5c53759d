package sending_test

import (
	"strings"
	"testing"
	"time"

	"mailer/internal/sending"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

// TestLearnedPaceIsStored: a send through a relay that throttles (Amazon
// SES's 454 over 2 messages a second) leaves the pace the throttles taught
// it in the store, where `mailer status` in another terminal reads it, and
// every member still gets the issue once.
func TestLearnedPaceIsStored(t *testing.T) {
	e := newEnv(t, 9)
	limit := smtptest.SESThrottle
	limit.PerSecond = 2
	relay := smtptest.StartWith(t, smtptest.Options{RateLimit: &limit})
	e.cfg.SMTP.Port = relay.Port
	out, _, err := e.run(e.mustPlan(sending.PlanOptions{}), false)
	if err != nil {
		t.Fatal(err)
	}
	if relay.Throttled.Load() == 0 {
		t.Fatal("the relay never throttled: the test proves nothing")
	}
	for i := range 9 {
		if n := relay.ByRecipient()[reader(i)]; n != 1 {
			t.Errorf("%s got %d copies", reader(i), n)
		}
	}
	s, err := e.db.GetSend(t.Context(), out.Send)
	if err != nil {
		t.Fatal(err)
	}
	// Unthrottled, the test sends hundreds a second; the relay's 2 a second
	// must have pulled the pace down to its order.
	if s.LearnedPace <= 0 || s.LearnedPace > 5 {
		t.Fatalf("learned pace %v msg/s, want the relay's order (2 msg/s)", s.LearnedPace)
	}
}

// TestStandingShowsThePace: a running send the relay throttled says its
// pace; one it never throttled says only "running".
func TestStandingShowsThePace(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	s := &store.Send{State: store.SendSending, LeaseOwner: "host:1", LeaseUntil: now.Add(time.Minute)}
	if got := sending.Standing(s, now); got != "running" {
		t.Errorf("unthrottled: %q", got)
	}
	s.LearnedPace = 37.5
	if got := sending.Standing(s, now); !strings.HasPrefix(got, "running") || !strings.Contains(got, "37.5 msg/s") {
		t.Errorf("throttled: %q", got)
	}
}
