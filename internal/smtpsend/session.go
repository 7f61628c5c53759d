package smtpsend

import (
	"errors"
	"net/textproto"
	"strconv"
	"time"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"mailer/internal/delivery"
)

// session carries many messages over one connection. Transactions are
// written on go-mail's connection directly rather than through its
// Mail/Rcpt/Data calls, for what the send benchmarks measured: with
// PIPELINING (RFC 2920) a transaction's commands go out in one packet and
// the next message's commands travel behind the end of this one, so each
// message costs one round trip; with CHUNKING (RFC 3030) the message goes
// as one BDAT chunk, unstuffed, without waiting for DATA's 354; and the
// message, already in CRLF lines, is written in large pieces instead of
// byte by byte.
type session struct {
	client    *mail.Client
	smtp      *smtp.Client
	timeout   time.Duration
	pipelined bool // the server offers PIPELINING
	chunking  bool // and CHUNKING: BDAT instead of DATA
	utf8      bool // the server offers SMTPUTF8

	open    bool         // a MAIL was accepted and its transaction not ended: RSET first
	pending *transaction // announced behind the last message: written, replies unread
	broken  error        // the connection is in an unknown state
}

// transaction is one message's envelope commands.
type transaction struct {
	env  delivery.Envelope
	cmds []command
}

type command struct {
	stage, line string
	want        int
}

var errAnnounced = errors.New("smtp session: a different message was announced on this connection")

// Send delivers msg; see delivery.Session.
func (s *session) Send(env delivery.Envelope, msg []byte, gate delivery.Gate) error {
	if s.broken != nil {
		return s.broken
	}
	tx := s.pending
	s.pending = nil
	if tx != nil && tx.env != env {
		return s.fail(errAnnounced)
	}
	if tx == nil {
		var err error
		if tx, err = s.begin(env); err != nil {
			return err
		}
	}
	if err := s.replies(tx); err != nil {
		return err
	}
	if err := s.content(msg); err != nil {
		return s.fail(err)
	}
	var next *delivery.Envelope
	if gate != nil {
		var err error
		if next, err = gate(); err != nil {
			return s.fail(err)
		}
	}
	return s.end(next)
}

// begin builds env's commands and, without PIPELINING, exchanges them one
// by one; with it they are written together and read by replies.
func (s *session) begin(env delivery.Envelope) (*transaction, error) {
	tx, err := s.transaction(env, s.open)
	if err != nil {
		return nil, err
	}
	if err := s.deadline(); err != nil {
		return nil, err
	}
	if s.pipelined {
		return tx, s.write(tx.cmds)
	}
	for i, c := range tx.cmds {
		if err := s.write(tx.cmds[i : i+1]); err != nil {
			return nil, err
		}
		if _, _, err := s.smtp.Text.ReadResponse(c.want); err != nil {
			return nil, s.refused(c, err)
		}
		if c.stage == "MAIL" {
			s.open = true
		}
	}
	tx.cmds = nil // all read
	return tx, nil
}

// transaction returns env's commands: RSET when a transaction is open,
// MAIL, RCPT, and DATA unless the message goes by BDAT.
func (s *session) transaction(env delivery.Envelope, rset bool) (*transaction, error) {
	from, to, param := env.From, env.To, ""
	if !isASCII(from + to) {
		var err error
		if from, to, param, err = s.envelope(from, to); err != nil {
			return nil, err
		}
	}
	tx := &transaction{env: env, cmds: make([]command, 0, 4)}
	if rset {
		tx.cmds = append(tx.cmds, command{"RSET", "RSET", 250})
	}
	tx.cmds = append(tx.cmds, command{"MAIL", "MAIL FROM:<" + from + ">" + param, 250}, command{"RCPT", "RCPT TO:<" + to + ">", 25})
	if !s.chunking {
		tx.cmds = append(tx.cmds, command{"DATA", "DATA", 354})
	}
	return tx, nil
}

// replies reads the replies of pipelined commands. Every reply is read so
// that the connection stays in step; the first refusal is the one
// reported, and no message is written unless all were accepted.
func (s *session) replies(tx *transaction) error {
	if len(tx.cmds) == 0 {
		return nil
	}
	if err := s.deadline(); err != nil {
		return s.fail(err)
	}
	var first error
	dataOpen := false
	for _, c := range tx.cmds {
		code, _, err := s.smtp.Text.ReadResponse(c.want)
		switch {
		case err == nil && c.stage == "MAIL":
			s.open = true
		case err != nil && first == nil:
			first = s.refused(c, err)
		}
		dataOpen = dataOpen || c.stage == "DATA" && code == 354
		if s.broken != nil {
			return first
		}
	}
	if first == nil {
		return nil
	}
	if dataOpen {
		// A server that took DATA after refusing the recipient: end the
		// empty transaction, which it refuses for want of a recipient.
		if err := s.write([]command{{line: "."}}); err != nil {
			return s.fail(err)
		}
		s.smtp.Text.ReadResponse(0)
	}
	return first
}

// content writes the message: one BDAT chunk, or dot-stuffed DATA text
// without its final ".". It is flushed, so that it travels while the gate
// waits.
func (s *session) content(msg []byte) error {
	if err := s.deadline(); err != nil {
		return err
	}
	w := s.smtp.Text.W
	if !s.chunking {
		return writeDotStuffed(w, msg)
	}
	crlf := !hasCRLFEnd(msg)
	n := len(msg)
	if crlf {
		n += 2
	}
	w.WriteString("BDAT " + strconv.Itoa(n) + "\r\n")
	w.Write(msg)
	if crlf {
		w.WriteString("\r\n")
	}
	return w.Flush()
}

// end finishes the message (from here on the server has it), announces
// next behind it when the server pipelines, and reads the outcome.
func (s *session) end(next *delivery.Envelope) error {
	if err := s.deadline(); err != nil {
		return s.fail(err)
	}
	w := s.smtp.Text.W
	if s.chunking {
		w.WriteString("BDAT 0 LAST\r\n")
	} else {
		w.WriteString(".\r\n")
	}
	if next != nil && s.pipelined {
		// The end of data ends the transaction whatever its reply, so the
		// next one needs no RSET.
		if tx, err := s.transaction(*next, false); err == nil {
			for _, c := range tx.cmds {
				w.WriteString(c.line + "\r\n")
			}
			s.pending = tx
		}
	}
	if err := w.Flush(); err != nil {
		return s.fail(err)
	}
	s.open = false
	var first error
	if s.chunking {
		// The chunk's reply, then the last one's.
		if _, _, err := s.smtp.Text.ReadResponse(250); err != nil {
			first = s.refused(command{stage: "DATA"}, err)
		}
	}
	if s.broken != nil {
		return first
	}
	if _, _, err := s.smtp.Text.ReadResponse(250); err != nil && first == nil {
		first = s.refused(command{stage: "DATA"}, err)
	}
	return first
}

// refused turns a server's reply into a *delivery.ReplyError; anything
// else (a broken connection, a timeout) leaves the session unusable.
func (s *session) refused(c command, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return reply(c.stage, err)
	}
	return s.fail(err)
}

func (s *session) write(cmds []command) error {
	w := s.smtp.Text.W
	for _, c := range cmds {
		w.WriteString(c.line + "\r\n")
	}
	if err := w.Flush(); err != nil {
		return s.fail(err)
	}
	return nil
}

func (s *session) deadline() error { return s.smtp.UpdateDeadline(s.timeout) }

// fail marks the session unusable and returns err.
func (s *session) fail(err error) error {
	if s.broken == nil {
		s.broken = err
	}
	return err
}

// Close says QUIT and closes the connection. A connection with an
// announced transaction is closed without a word: the server may be
// waiting for that message's text, and only a dropped connection
// guarantees it delivers nothing.
func (s *session) Close() error {
	if s.pending != nil || s.broken != nil {
		return s.smtp.Close()
	}
	s.smtp.UpdateDeadline(10 * time.Second)
	return s.client.CloseWithSMTPClient(s.smtp)
}

func hasCRLFEnd(msg []byte) bool {
	n := len(msg)
	return n >= 2 && msg[n-2] == '\r' && msg[n-1] == '\n'
}
