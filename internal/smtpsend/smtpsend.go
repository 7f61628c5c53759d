// Package smtpsend is the SMTP transport for the sender: sessions opened
// through github.com/wneessen/go-mail (TLS policy, SMTP AUTH, EHLO), then
// kept open across many messages with RSET between them, with a deadline on
// every command.
package smtpsend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"mailer/internal/delivery"
)

// TLS modes, as in the config.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// Options describe the server.
type Options struct {
	Host           string
	Port           int
	Username       string
	Password       string
	TLS            string // starttls, tls or none
	HELO           string
	ConnectTimeout time.Duration
	CommandTimeout time.Duration
	// TLSConfig overrides the TLS settings (tests trust their own CA with
	// it); nil verifies the server against the system's roots.
	TLSConfig *tls.Config
}

// Transport dials SMTP sessions. It implements delivery.Transport.
type Transport struct {
	opts Options
}

// New checks the options and returns a transport.
func New(o Options) (*Transport, error) {
	if o.Host == "" || o.Port <= 0 {
		return nil, fmt.Errorf("SMTP host and port must be set")
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 30 * time.Second
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = 5 * time.Minute
	}
	switch o.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("unknown TLS mode %q", o.TLS)
	}
	return &Transport{opts: o}, nil
}

// Dial connects, says EHLO, secures the connection and authenticates.
func (t *Transport) Dial(ctx context.Context) (delivery.Session, error) {
	o := t.opts
	opts := []mail.Option{mail.WithPort(o.Port), mail.WithTimeout(o.ConnectTimeout)}
	switch o.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if o.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(o.TLSConfig))
	} else {
		opts = append(opts, mail.WithTLSConfig(&tls.Config{ServerName: o.Host, MinVersion: tls.VersionTLS12}))
	}
	if o.HELO != "" {
		opts = append(opts, mail.WithHELO(o.HELO))
	}
	if o.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(o.Username), mail.WithPassword(o.Password))
	}
	c, err := mail.NewClient(o.Host, opts...)
	if err != nil {
		return nil, &delivery.DialError{Err: err}
	}
	sc, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, &delivery.DialError{Err: explainDial(o, err)}
	}
	return &session{client: c, smtp: sc, timeout: o.CommandTimeout}, nil
}

// explainDial words the usual misconfigurations for a person.
func explainDial(o Options, err error) error {
	addr := net.JoinHostPort(o.Host, fmt.Sprint(o.Port))
	var te *textproto.Error
	switch {
	case errors.As(err, &te) && (te.Code == 535 || te.Code == 534 || te.Code == 530):
		return fmt.Errorf("%s refused the login of %q: %d %s (check smtp.username and smtp.password)", addr, o.Username, te.Code, te.Msg)
	case strings.Contains(err.Error(), "STARTTLS"):
		return fmt.Errorf("%s: %v (set smtp.tls = \"none\" only for a relay on this host)", addr, err)
	case strings.Contains(err.Error(), "connection refused"):
		return fmt.Errorf("nothing listens on %s (check smtp.host and smtp.port): %v", addr, err)
	case strings.Contains(err.Error(), "no such host"):
		return fmt.Errorf("unknown host %s (check smtp.host): %v", o.Host, err)
	}
	return fmt.Errorf("%s: %v", addr, err)
}

type session struct {
	client  *mail.Client
	smtp    *smtp.Client
	timeout time.Duration
	used    bool
}

// Send runs one mail transaction: RSET (after the first), MAIL FROM,
// RCPT TO, DATA, each under the command timeout.
func (s *session) Send(from, to string, msg []byte) error {
	if s.used {
		if err := s.step(func() error { return s.smtp.Reset() }); err != nil {
			return err
		}
	}
	s.used = true
	if err := s.step(func() error { return s.smtp.Mail("<" + from + ">") }); err != nil {
		return reply("MAIL", err)
	}
	if err := s.step(func() error { return s.smtp.Rcpt("<" + to + ">") }); err != nil {
		return reply("RCPT", err)
	}
	var w interface {
		Write([]byte) (int, error)
		Close() error
	}
	if err := s.step(func() (err error) { w, err = s.smtp.Data(); return err }); err != nil {
		return reply("DATA", err)
	}
	if err := s.step(func() error {
		if _, err := w.Write(msg); err != nil {
			return err
		}
		return w.Close()
	}); err != nil {
		return reply("DATA", err)
	}
	return nil
}

func (s *session) step(f func() error) error {
	if err := s.smtp.UpdateDeadline(s.timeout); err != nil {
		return err
	}
	return f()
}

// reply turns a server's rejection into a *delivery.ReplyError and leaves
// other errors (the connection broke, a timeout) as they are.
func reply(stage string, err error) error {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return err
	}
	re := &delivery.ReplyError{Stage: stage, Code: te.Code, Message: te.Msg}
	if f := strings.Fields(te.Msg); len(f) > 0 && isEnhanced(f[0]) {
		re.Enhanced = f[0]
	}
	return re
}

func isEnhanced(s string) bool {
	parts := strings.Split(s, ".")
	return len(parts) == 3 && (parts[0] == "2" || parts[0] == "4" || parts[0] == "5")
}

// Close says QUIT and closes the connection.
func (s *session) Close() error {
	s.smtp.UpdateDeadline(10 * time.Second)
	return s.client.CloseWithSMTPClient(s.smtp)
}
