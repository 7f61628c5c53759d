package mtaserver_test

import (
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"mailer/internal/delivery"
	"mailer/internal/mtaserver"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/testwire"
)

// One mail naming majordomo a hundred times, in mixed case, is one mail:
// its commands run once and one answer goes out, while LMTP still gives
// each of the hundred RCPTs its own reply (RFC 2033 §4.2), spoken over a
// raw socket so that no client library folds them.
func TestRepeatedRecipientHandledOnce(t *testing.T) {
	for _, lmtp := range []bool{true, false} {
		db, relay := newStore(t), smtptest.Start(t)
		tr, err := smtpsend.New(smtpsend.Options{Host: relay.Host, Port: relay.Port, TLS: smtpsend.TLSNone})
		if err != nil {
			t.Fatal(err)
		}
		w := testwire.Build(t, db, delivery.Outbox{Transport: tr}, testwire.Options{PerAddressHour: 50, MailPerHour: 500})
		conn := serve(t, mtaserver.New(w.Handler, mtaserver.Options{LMTP: lmtp, Domain: testwire.Host, MaxMessageBytes: 1 << 20}))
		rcpts := make([]string, 100)
		for i := range rcpts {
			rcpts[i] = []string{"majordomo@", "MajorDomo@", "MAJORDOMO@"}[i%3] + []string{testwire.Host, strings.ToUpper(testwire.Host)}[i%2]
		}
		replies := converse(t, conn, lmtp, rcpts, "From: zoe@example.com\r\nSubject: help\r\nMessage-ID: <h1@example.com>\r\n\r\nhelp\r\n")
		want := 1 // SMTP: one reply for the message
		if lmtp {
			want = len(rcpts)
		}
		if len(replies) != want {
			t.Fatalf("lmtp=%v: %d replies after DATA, want %d: %q", lmtp, len(replies), want, replies)
		}
		for i, r := range replies {
			if !strings.HasPrefix(r, "250 ") || (lmtp && !strings.Contains(r, "<"+rcpts[i]+">")) {
				t.Fatalf("lmtp=%v: reply %d = %q", lmtp, i, r)
			}
		}
		// The answer is sent inside the handling, before the reply.
		if got := relay.ByRecipient()["zoe@example.com"]; got != 1 {
			t.Fatalf("lmtp=%v: zoe got %d answers, want 1", lmtp, got)
		}
	}
}

func serve(t *testing.T, s *smtp.Server) *textproto.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := textproto.NewConn(nc)
	t.Cleanup(func() { c.Close() })
	return c
}

// converse speaks the transaction line by line and returns the replies
// that follow the end of the message.
func converse(t *testing.T, c *textproto.Conn, lmtp bool, rcpts []string, msg string) []string {
	t.Helper()
	hello := "EHLO"
	if lmtp {
		hello = "LHLO"
	}
	expect := func(code int, format string, args ...any) {
		t.Helper()
		if err := c.PrintfLine(format, args...); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadResponse(code); err != nil {
			t.Fatalf("%s: %v", fmt.Sprintf(format, args...), err)
		}
	}
	if _, _, err := c.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	expect(250, "%s mta.example.org", hello)
	expect(250, "MAIL FROM:<zoe@example.com>")
	for _, r := range rcpts {
		expect(250, "RCPT TO:<%s>", r)
	}
	expect(354, "DATA")
	if _, err := fmt.Fprintf(c.W, "%s.\r\n", msg); err != nil || c.W.Flush() != nil {
		t.Fatal(err)
	}
	var replies []string
	for range rcpts {
		if !lmtp && len(replies) == 1 {
			break
		}
		line, err := c.ReadLine()
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, line)
	}
	// Nothing more may follow: a NOOP's answer is the next line.
	expect(250, "NOOP")
	return replies
}
