package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"
	"time"

	"mailer/internal/fault"
)

// badFunc reports key's value as invalid, naming the file and line that
// set it (or the environment variable).
type badFunc func(key, format string, args ...any) error

// validate checks every value after decoding and overrides; the first bad
// one is the error.
func (c *Config) validate(path string, data []byte, getenv func(string) string) error {
	bad := func(key, format string, args ...any) error {
		return fault.Errorf(fault.Invalid, "%s: %s: %s", where(path, data, key, getenv), key, fmt.Sprintf(format, args...))
	}
	// The order is the one the checks have always run in, so a file with
	// several bad values reports the same one first. The sections are
	// checked in place (pointer receivers): validateText may rewrite a
	// field as it parses it.
	for _, check := range []func(badFunc) error{
		c.Web.validateProxies, c.validateText, c.validateTop, c.validateSMTP, c.Rate.validate,
		c.Send.validate, c.DKIM.validate, c.Bounce.validate, c.Web.validate, c.Inbound.validate,
		c.Send.validateConnections, c.Webhooks.validate, c.Admin.validate,
	} {
		if err := check(bad); err != nil {
			return err
		}
	}
	return nil
}

// validateText runs the UnmarshalText checks of string-kinded fields (the
// addresses and URLs): go-toml stores TOML strings straight into them
// without calling it.
func (c *Config) validateText(bad badFunc) error {
	for _, f := range fields(reflect.ValueOf(c).Elem(), "") {
		if f.value.Kind() != reflect.String || !implementsText(f.value) {
			continue
		}
		if err := f.value.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(f.value.String())); err != nil {
			return bad(f.key, "%s", strings.TrimPrefix(err.Error(), "invalid address "))
		}
	}
	return nil
}

// validateTop checks the keys outside any section.
func (c *Config) validateTop(bad badFunc) error {
	switch {
	case c.Database == "":
		return bad("database", "must name a file")
	case c.Secret != "" && len(c.Secret) < MinSecretLen:
		return bad("secret", "is %d characters; use at least %d (mailer init generates one)", len(c.Secret), MinSecretLen)
	case c.Concurrency < 1 || c.Concurrency > 256:
		return bad("concurrency", "must be between 1 and 256, got %d", c.Concurrency)
	}
	return nil
}

// validateSMTP checks [smtp], which transport = "smtp" needs a host in.
func (c *Config) validateSMTP(bad badFunc) error {
	s := &c.SMTP
	switch {
	case s.Port < 1 || s.Port > 65535:
		return bad("smtp.port", "must be between 1 and 65535, got %d", s.Port)
	case c.Transport.Kind == "smtp" && s.Host == "":
		return bad("smtp.host", "must be set when transport is smtp")
	case s.Password != "" && s.Username == "":
		return bad("smtp.username", "must be set when smtp.password is")
	}
	return nil
}

func (r *Rate) validate(bad badFunc) error {
	switch {
	case r.PerSecond < 0:
		return bad("rate.per_second", "must not be negative (0 turns the limit off)")
	case r.PerSecond > 0 && r.Burst < 1:
		return bad("rate.burst", "must be at least 1 when rate.per_second is set")
	case r.PerHour < 0:
		return bad("rate.per_hour", "must not be negative (0 means no cap)")
	case r.PerDay < 0:
		return bad("rate.per_day", "must not be negative (0 means no cap)")
	}
	return nil
}

func (s *Send) validate(bad badFunc) error {
	switch {
	case len(s.Retry) == 0:
		return bad("send.retry", "needs at least one duration")
	case s.MaxAge <= 0:
		return bad("send.max_age", "must be a positive duration")
	}
	return nil
}

func (s *Send) validateConnections(bad badFunc) error {
	if s.MessagesPerConnection < 0 {
		return bad("send.messages_per_connection", "must not be negative (0 means no limit)")
	}
	return s.validateBreaker(bad)
}

// validateBreaker checks the circuit breaker's thresholds: rates are
// percentages, and the window must hold the minimum sample, or the
// breaker could never judge.
func (s *Send) validateBreaker(bad badFunc) error {
	switch {
	case s.BreakerBounceRate < 0 || s.BreakerBounceRate > 100:
		return bad("send.breaker_bounce_rate", "is a percentage from 0 to 100 (10 is 10%; 0 turns the check off)")
	case s.BreakerComplaintRate < 0 || s.BreakerComplaintRate > 100:
		return bad("send.breaker_complaint_rate", "is a percentage from 0 to 100 (0.3 is 0.3%; 0 turns the check off)")
	case s.BreakerMinAttempts < 1:
		return bad("send.breaker_min_attempts", "must be at least 1")
	case s.BreakerWindow < s.BreakerMinAttempts:
		return bad("send.breaker_window", "must be at least send.breaker_min_attempts (the window holds the minimum sample)")
	}
	return nil
}

func (d *DKIM) validate(bad badFunc) error {
	switch {
	case d.KeyFile != "" && (d.Selector == "" || d.Domain == ""):
		return bad("dkim.selector", "dkim.selector and dkim.domain must be set with dkim.key_file")
	case (d.DualKeyFile == "") != (d.DualSelector == "") || d.DualKeyFile != "" && d.KeyFile == "":
		return bad("dkim.dual_key_file", "dkim.dual_key_file and dkim.dual_selector go together, beside dkim.key_file")
	}
	return nil
}

func (b *Bounce) validate(bad badFunc) error {
	if b.Threshold <= 0 {
		return bad("bounce.threshold", "must be above 0")
	}
	return nil
}

func (w *Web) validateProxies(bad badFunc) error {
	for _, p := range w.TrustedProxies {
		if _, err := parsePrefix(p); err != nil {
			return bad("web.trusted_proxies", "%q is not an IP address or CIDR prefix", p)
		}
	}
	return nil
}

func (w *Web) validate(bad badFunc) error {
	switch {
	case w.SubscribePerMinute < 1:
		return bad("web.subscribe_per_minute", "must be at least 1")
	case w.ConfirmationsPerHour < 0:
		return bad("web.confirmations_per_hour", "must not be negative (0 means no cap)")
	}
	return nil
}

func (in *Inbound) validate(bad badFunc) error {
	switch {
	case in.MaxMessageBytes < 1024:
		return bad("inbound.max_message_bytes", "must be at least 1024")
	case in.ConfirmTTL <= 0:
		return bad("inbound.confirm_ttl", "must be a positive duration")
	case in.MaxCommands < 1:
		return bad("inbound.max_commands", "must be at least 1")
	}
	return nil
}

// validate checks [webhooks]: a topic is an SNS topic ARN, Postmark's
// credentials go together, SendGrid's key parses, Mailgun's is long enough
// to be the real one.
func (w *Webhooks) validate(bad badFunc) error {
	for _, t := range w.SESTopicARNs {
		if !snsTopic.MatchString(t) {
			return bad("webhooks.ses_topic_arns", "%q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC)", t)
		}
	}
	switch {
	case (w.PostmarkUsername == "") != (w.PostmarkPassword == ""):
		return bad("webhooks.postmark_username", "webhooks.postmark_username and webhooks.postmark_password go together")
	case w.PostmarkPassword != "" && len(w.PostmarkPassword) < 16:
		return bad("webhooks.postmark_password", "is %d characters; use at least 16", len(w.PostmarkPassword))
	case w.MailgunSigningKey != "" && len(w.MailgunSigningKey) < 16:
		return bad("webhooks.mailgun_signing_key", "is %d characters; copy the whole HTTP webhook signing key", len(w.MailgunSigningKey))
	}
	if w.SendGridPublicKey != "" {
		if _, err := w.SendGridKey(); err != nil {
			return bad("webhooks.sendgrid_public_key", "%v", err)
		}
	}
	return nil
}

// validate checks [admin]: the sessions must end, the idle one first.
func (a *Admin) validate(bad badFunc) error {
	switch {
	case a.SessionIdle <= 0:
		return bad("admin.session_idle", "must be more than 0, got %s", time.Duration(a.SessionIdle))
	case a.SessionMax < a.SessionIdle:
		return bad("admin.session_max", "must be at least admin.session_idle (%s), got %s", time.Duration(a.SessionIdle), time.Duration(a.SessionMax))
	}
	return nil
}
