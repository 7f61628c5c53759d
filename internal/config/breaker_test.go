package config_test

import (
	"strings"
	"testing"

	"mailer/internal/config"
)

// The circuit breaker's thresholds default to 10% hard bounces of at least
// 100 attempts in a window of 500, and 0.3% complaints; a file or the
// environment sets them, 0 turns a check off, and values the breaker could
// not use are refused with the file, line and key.
func TestSendBreakerSettings(t *testing.T) {
	cfg, err := config.Parse("mailer.toml", nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Send
	if s.BreakerBounceRate != 10 || s.BreakerMinAttempts != 100 || s.BreakerWindow != 500 || s.BreakerComplaintRate != 0.3 {
		t.Fatalf("defaults: %+v", s)
	}
	file := "[send]\nbreaker_bounce_rate = 0\nbreaker_min_attempts = 20\nbreaker_window = 50\nbreaker_complaint_rate = 0.1\n"
	cfg, err = config.Parse("mailer.toml", []byte(file), envOf(map[string]string{"MAILER_SEND_BREAKER_COMPLAINT_RATE": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	s = cfg.Send
	if s.BreakerBounceRate != 0 || s.BreakerMinAttempts != 20 || s.BreakerWindow != 50 || s.BreakerComplaintRate != 0 {
		t.Fatalf("from the file and environment: %+v", s)
	}
	for file, want := range map[string]string{
		"[send]\nbreaker_bounce_rate = -1\n":      "mailer.toml:2: send.breaker_bounce_rate: is a percentage",
		"[send]\nbreaker_bounce_rate = 110\n":     "mailer.toml:2: send.breaker_bounce_rate: is a percentage",
		"[send]\nbreaker_complaint_rate = -0.3\n": "mailer.toml:2: send.breaker_complaint_rate: is a percentage",
		"[send]\nbreaker_min_attempts = 0\n":      "mailer.toml:2: send.breaker_min_attempts: must be at least 1",
		"[send]\nbreaker_window = 99\n":           "mailer.toml:2: send.breaker_window: must be at least send.breaker_min_attempts",
	} {
		if _, err := config.Parse("mailer.toml", []byte(file), noEnv); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", file, err, want)
		}
	}
}
