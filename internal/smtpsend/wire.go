package smtpsend

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	"mailer/internal/address"
	"mailer/internal/delivery"
)

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
