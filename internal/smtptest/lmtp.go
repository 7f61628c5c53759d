package smtptest

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// DeliverLMTP hands one mail (LF line ends, turned into CRLF) for one
// recipient to the LMTP listener at addr, as Postfix's lmtp client does,
// and fails the test unless it is accepted (RFC 2033 §4.2: a reply per
// recipient after the data).
func DeliverLMTP(t testing.TB, addr, from, rcpt, raw string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("mx.example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		t.Fatalf("RCPT %s: %v", rcpt, err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, strings.ReplaceAll(raw, "\n", "\r\n"))
	if _, err := w.CloseWithLMTPResponse(); err != nil {
		t.Fatalf("LMTP %s: %v", rcpt, err)
	}
	c.Quit()
}
