// Package smtpsend is the SMTP transport for the sender: sessions opened
// through github.com/wneessen/go-mail (TLS policy, SMTP AUTH, EHLO), then
// kept open across many messages with RSET between them, with a deadline on
// every command.
package smtpsend

import (
	"bufio"
	"bytes"
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

	"mailer/internal/address"
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
	pipelining, _ := sc.Extension("PIPELINING")
	smtputf8, _ := sc.Extension("SMTPUTF8")
	return &session{client: c, smtp: sc, timeout: o.CommandTimeout, pipelined: pipelining && !o.NoPipelining, utf8: smtputf8}, nil
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
	client    *mail.Client
	smtp      *smtp.Client
	timeout   time.Duration
	used      bool
	pipelined bool // the server offers PIPELINING (RFC 2920)
	utf8      bool // the server offers SMTPUTF8
}

// Send runs one mail transaction: RSET (after the first message on the
// session), MAIL FROM, RCPT TO, DATA, with a deadline on each exchange.
//
// The transaction is written on go-mail's connection directly rather than
// through its Mail/Rcpt/Data calls, for two reasons measured in the send
// benchmark: with PIPELINING the four commands go out in one packet and
// their replies come back in one, saving three round trips per message;
// and the message, already in CRLF lines, is dot-stuffed in large chunks
// instead of byte by byte.
func (s *session) Send(from, to string, msg []byte) error { return s.SendGated(from, to, msg, nil) }

// SendGated is Send that calls gate, when given, just before the final "."
// of DATA: until then the server has not taken the message, and a gate
// error leaves it undelivered (the session is then unusable).
func (s *session) SendGated(from, to string, msg []byte, gate func() error) error {
	text := s.smtp.Text
	param := ""
	if !isASCII(from + to) {
		var err error
		if from, to, param, err = s.envelope(from, to); err != nil {
			return err
		}
	}
	type command struct {
		stage, line string
		want        int
	}
	cmds := make([]command, 0, 4)
	if s.used {
		cmds = append(cmds, command{"RSET", "RSET", 250})
	}
	s.used = true
	cmds = append(cmds, command{"MAIL", "MAIL FROM:<" + from + ">" + param, 250}, command{"RCPT", "RCPT TO:<" + to + ">", 25},
		command{"DATA", "DATA", 354})
	if err := s.smtp.UpdateDeadline(s.timeout); err != nil {
		return err
	}
	// Without pipelining each command waits for its reply; with it, all
	// are written first. Either way the first refusal is the one reported,
	// and no message is written unless DATA was accepted.
	var first error
	for i, c := range cmds {
		if _, err := text.W.WriteString(c.line + "\r\n"); err != nil {
			return err
		}
		if s.pipelined && i < len(cmds)-1 {
			continue
		}
		if err := text.W.Flush(); err != nil {
			return err
		}
		from := i
		if s.pipelined {
			from = 0
		}
		for _, r := range cmds[from : i+1] {
			if _, _, err := text.ReadResponse(r.want); err != nil && first == nil {
				first = reply(r.stage, err)
				if !s.pipelined || !isReply(first) {
					return first
				}
			}
		}
	}
	if first != nil {
		return first
	}
	if err := s.smtp.UpdateDeadline(s.timeout); err != nil {
		return err
	}
	if err := writeDotStuffed(text.W, msg); err != nil {
		return err
	}
	if gate != nil {
		if err := gate(); err != nil {
			return err
		}
		if err := s.smtp.UpdateDeadline(s.timeout); err != nil {
			return err
		}
	}
	if err := finishData(text.W); err != nil {
		return err
	}
	if _, _, err := text.ReadResponse(250); err != nil {
		return reply("DATA", err)
	}
	return nil
}

// envelope puts internationalised addresses in the form the server takes:
// domains as A-labels; a non-ASCII local part only with SMTPUTF8, which the
// server must offer, else the message is unsendable (no command is sent,
// so the session stays usable).
func (s *session) envelope(from, to string) (string, string, string, error) {
	f, fu, err := address.ForSMTP(from)
	if err != nil {
		return "", "", "", &delivery.UnsendableError{Reason: "envelope sender: " + err.Error()}
	}
	t, tu, err := address.ForSMTP(to)
	if err != nil {
		return "", "", "", &delivery.UnsendableError{Reason: err.Error()}
	}
	if !fu && !tu {
		return f, t, "", nil
	}
	if !s.utf8 {
		who := to
		if !tu {
			who = "the envelope sender " + from
		}
		return "", "", "", &delivery.UnsendableError{Reason: fmt.Sprintf(
			"%s has a non-ASCII local part and the mail server does not offer SMTPUTF8 (RFC 6531)", who)}
	}
	return f, t, " SMTPUTF8", nil
}

// writeDotStuffed writes msg (CRLF lines) as DATA content: a leading "."
// on any line is doubled (RFC 5321 section 4.5.2). The final "." is left to
// finishData.
func writeDotStuffed(w *bufio.Writer, msg []byte) error {
	if len(msg) > 0 && msg[0] == '.' {
		w.WriteByte('.')
	}
	for {
		i := bytes.Index(msg, []byte("\n."))
		if i < 0 {
			break
		}
		w.Write(msg[:i+2])
		w.WriteByte('.')
		msg = msg[i+2:]
	}
	w.Write(msg)
	if !bytes.HasSuffix(msg, []byte("\r\n")) {
		w.WriteString("\r\n")
	}
	return w.Flush()
}

// finishData ends DATA: from here on the server has the message.
func finishData(w *bufio.Writer) error {
	w.WriteString(".\r\n")
	return w.Flush()
}

func isReply(err error) bool {
	var re *delivery.ReplyError
	return errors.As(err, &re)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
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
