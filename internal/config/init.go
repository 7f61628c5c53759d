package config

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/url"
	"text/template"
	"time"

	"mailer/internal/fault"
	"mailer/templates"
)

// InitParams fill in the starter config that `mailer init` writes.
type InitParams struct {
	Database    string
	BaseURL     string
	ListHost    string
	Owner       string
	Contact     string
	IssuesDir   string
	DefaultList string
	Transport   string
	Secret      string // generated when empty
	Date        string // set by Starter
	Listen      string // set by Starter: web.listen, from BaseURL
}

// listenFor is where `mailer serve` listens for a base URL: a plain http
// URL with a port is served directly on that port (on loopback only when
// its host is); anything else sits behind a TLS proxy that forwards to
// 127.0.0.1:8080.
func listenFor(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme != "http" || u.Port() == "" {
		return "127.0.0.1:8080"
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return "127.0.0.1:" + u.Port()
	}
	return ":" + u.Port()
}

// NewSecret returns 32 random bytes as unpadded base64url: 43 characters.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fault.Wrap(fault.Internal, err, "generate secret")
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Starter renders the commented starter config and checks that it loads,
// so that `mailer init` can never write a file mailer then refuses.
func Starter(p InitParams, now time.Time) ([]byte, error) {
	if p.Secret == "" {
		s, err := NewSecret()
		if err != nil {
			return nil, err
		}
		p.Secret = s
	}
	p.Date = now.UTC().Format("2006-01-02")
	p.Listen = listenFor(p.BaseURL)
	tmpl, err := template.ParseFS(templates.FS, "config/mailer.toml.tmpl")
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "starter config template")
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, p); err != nil {
		return nil, fault.Wrap(fault.Internal, err, "starter config template")
	}
	if _, err := Parse("mailer.toml", buf.Bytes(), func(string) string { return "" }); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
