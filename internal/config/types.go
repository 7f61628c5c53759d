package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"mailer/internal/address"
)

// The types below validate themselves as they are decoded, so that the TOML
// decoder reports a bad value with its line and key.

// Duration is a time.Duration written as "30s", "5m", "1h30m".
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("want a duration such as 30s or 5m, got %q", b)
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration back in the same form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// TLSMode is how the SMTP connection is secured.
type TLSMode string

// TLS modes.
const (
	TLSStartTLS TLSMode = "starttls" // plain connect, then STARTTLS; required, not opportunistic
	TLSImplicit TLSMode = "tls"      // TLS from the first byte (port 465)
	TLSNone     TLSMode = "none"     // no encryption: only for a relay on the same host
)

// UnmarshalText accepts starttls, tls or none.
func (m *TLSMode) UnmarshalText(b []byte) error {
	switch v := TLSMode(strings.ToLower(string(b))); v {
	case TLSStartTLS, TLSImplicit, TLSNone:
		*m = v
		return nil
	}
	return fmt.Errorf("want starttls, tls or none, got %q", b)
}

// Transport says where outgoing mail goes: "smtp", or "maildir:PATH" to
// write each message into a Maildir instead of sending it.
type Transport struct {
	Kind string // "smtp" or "maildir"
	Path string // the Maildir, for "maildir"
}

// UnmarshalText parses "smtp" or "maildir:PATH".
func (t *Transport) UnmarshalText(b []byte) error {
	s := string(b)
	switch {
	case s == "smtp":
		*t = Transport{Kind: "smtp"}
	case strings.HasPrefix(s, "maildir:") && len(s) > len("maildir:"):
		*t = Transport{Kind: "maildir", Path: strings.TrimPrefix(s, "maildir:")}
	default:
		return fmt.Errorf(`want "smtp" or "maildir:PATH", got %q`, s)
	}
	return nil
}

// MarshalText writes the transport in its config form.
func (t Transport) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

func (t Transport) String() string {
	if t.Kind == "maildir" {
		return "maildir:" + t.Path
	}
	return t.Kind
}

// BaseURL is the public http(s) URL that links in mail point to.
type BaseURL string

// UnmarshalText checks for an absolute http or https URL and drops a
// trailing slash so that paths can be appended.
func (u *BaseURL) UnmarshalText(b []byte) error {
	p, err := url.Parse(string(b))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("want an absolute http(s) URL such as https://lists.example.org, got %q", b)
	}
	if p.RawQuery != "" || p.Fragment != "" {
		return fmt.Errorf("base URL %q must not have a query or fragment", b)
	}
	*u = BaseURL(strings.TrimRight(string(b), "/"))
	return nil
}

// Mailbox is a validated e-mail address, optionally with a display name.
type Mailbox string

// UnmarshalText validates the address; empty is allowed.
func (m *Mailbox) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = ""
		return nil
	}
	if _, err := address.Parse(string(b)); err != nil {
		return err
	}
	*m = Mailbox(b)
	return nil
}

// Hostname is a DNS name, such as the list host.
type Hostname string

// UnmarshalText checks the name by making it the domain of an address.
func (h *Hostname) UnmarshalText(b []byte) error {
	a, err := address.Parse("x@" + string(b))
	if err != nil || strings.ContainsAny(string(b), "@<> ") {
		return fmt.Errorf("want a host name such as lists.example.org, got %q", b)
	}
	*h = Hostname(a.Domain)
	return nil
}

// InFlight is what to do with messages a crashed run may or may not have sent.
type InFlight string

// In-flight policies.
const (
	InFlightResend InFlight = "resend"
	InFlightSkip   InFlight = "skip"
)

// UnmarshalText accepts resend or skip.
func (f *InFlight) UnmarshalText(b []byte) error {
	switch v := InFlight(b); v {
	case InFlightResend, InFlightSkip:
		*f = v
		return nil
	}
	return fmt.Errorf("want resend or skip, got %q", b)
}
