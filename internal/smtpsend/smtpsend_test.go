package smtpsend

import (
	"context"
	"strings"
	"testing"
	"time"

	"mailer/internal/smtptest"
)

// TestDotStuffingRoundTrips sends lines that begin with dots, with and
// without pipelining, and checks the server stored them unchanged.
func TestDotStuffingRoundTrips(t *testing.T) {
	msg := "Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nmiddle . dot\r\nlast line\r\n"
	for _, noPipe := range []bool{false, true} {
		srv := smtptest.Start(t)
		tr, err := New(Options{Host: srv.Host, Port: srv.Port, TLS: TLSNone, NoPipelining: noPipe, CommandTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		s, err := tr.Dial(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, to := range []string{"a@example.org", "b@example.org"} {
			if err := s.Send("bounces@lists.example.org", to, []byte(msg)); err != nil {
				t.Fatalf("pipelining off=%v: %v", noPipe, err)
			}
		}
		s.Close()
		got := srv.Messages()
		if len(got) != 2 || strings.ReplaceAll(string(got[1].Data), "\r\n", "\n") != strings.ReplaceAll(msg, "\r\n", "\n") {
			t.Fatalf("pipelining off=%v: stored %q", noPipe, got)
		}
		if srv.Resets.Load() < 1 {
			t.Fatalf("no RSET between messages")
		}
	}
}

func TestRefusalsBecomeReplyErrors(t *testing.T) {
	srv := smtptest.Start(t)
	srv.Fail("bad@example.org", smtptest.Fault{Stage: "RCPT", Code: 550})
	tr, _ := New(Options{Host: srv.Host, Port: srv.Port, TLS: TLSNone})
	s, err := tr.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Send("b@lists.example.org", "bad@example.org", []byte("Subject: x\r\n\r\nx\r\n"))
	if err == nil || !strings.Contains(err.Error(), "RCPT: 550") {
		t.Fatalf("err = %v", err)
	}
	// The session stays usable after a refusal.
	if err := s.Send("b@lists.example.org", "good@example.org", []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Fatalf("after a refusal: %v", err)
	}
}
