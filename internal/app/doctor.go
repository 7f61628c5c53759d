package app

import (
	"context"
	"strings"
	"time"

	"mailer/internal/config"
	"mailer/internal/doctor"
)

// DoctorInput is what the deliverability checks need of the configuration:
// the DKIM keys as a send would load them, and a probe of the relay.
func DoctorInput(cfg *config.Config) doctor.Input {
	in := doctor.Input{Config: cfg}
	if cfg.DKIM.KeyFile != "" {
		in.Signer, in.DKIMErr = LoadDKIM(cfg)
	}
	if cfg.Transport.Kind == "smtp" {
		in.Probe = func(ctx context.Context) (string, error) { return ProbeRelay(ctx, cfg) }
	}
	return in
}

// ProbeRelay opens a session as a send would and says what it went through.
func ProbeRelay(ctx context.Context, cfg *config.Config) (string, error) {
	t, _, err := PlainTransport(cfg)
	if err != nil {
		return "", err
	}
	timeout := time.Duration(cfg.SMTP.ConnectTimeout)
	if timeout <= 0 || timeout > 15*time.Second {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s, err := t.Dial(ctx)
	if err != nil {
		return "", err
	}
	s.Close()
	steps := []string{"answered EHLO"}
	if cfg.SMTP.TLS == "starttls" {
		steps = append(steps, "STARTTLS")
	}
	if cfg.SMTP.TLS == "tls" {
		steps = append(steps, "over TLS")
	}
	if cfg.SMTP.Username != "" {
		steps = append(steps, "AUTH as "+cfg.SMTP.Username)
	}
	return strings.Join(steps, ", "), nil
}
