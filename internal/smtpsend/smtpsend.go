// Package smtpsend is the SMTP transport for the sender: sessions opened
// through github.com/wneessen/go-mail (TLS policy, SMTP AUTH, EHLO), then
// kept open across many messages with RSET between them, with a deadline on
// every command.
package smtpsend

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

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
	// NoPipelining sends one command at a time even to a server that offers
	// PIPELINING, for servers that offer it and then get it wrong.
	NoPipelining bool
	// NoChunking sends DATA even to a server that offers CHUNKING (BDAT,
	// RFC 3030). BDAT is used only with PIPELINING.
	NoChunking bool
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
	// Messages are written through a buffer that holds a whole issue, so
	// that one goes out in one write rather than in 4 KB pieces.
	sc.Text.Writer.W = bufio.NewWriterSize(flushThrough{sc.Text.Writer.W}, writeBuffer)
	pipelining, _ := sc.Extension("PIPELINING")
	chunking, _ := sc.Extension("CHUNKING")
	smtputf8, _ := sc.Extension("SMTPUTF8")
	pipelining = pipelining && !o.NoPipelining
	return &session{client: c, smtp: sc, timeout: o.CommandTimeout, pipelined: pipelining,
		chunking: chunking && pipelining && !o.NoChunking, utf8: smtputf8}, nil
}

// writeBuffer is the size of the session's write buffer.
const writeBuffer = 64 << 10

// flushThrough passes each write through go-mail's own buffered writer at
// once, so that flushing the outer buffer reaches the connection.
type flushThrough struct{ w *bufio.Writer }

func (f flushThrough) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.w.Flush()
	}
	return n, err
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
