package smtpsend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/smtptest"
)

// mode is one way of carrying a message, as the server and the options
// allow.
type mode struct {
	name                     string
	noPipelining, noChunking bool
}

var modes = []mode{{"DATA one command at a time", true, true}, {"DATA pipelined", false, true}, {"BDAT pipelined", false, false}}

func dial(t *testing.T, srv *smtptest.Server, m mode) delivery.Session {
	t.Helper()
	tr, err := New(Options{Host: srv.Host, Port: srv.Port, TLS: TLSNone, NoPipelining: m.noPipelining, NoChunking: m.noChunking,
		CommandTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := tr.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkCommands checks the server saw BDAT or DATA, as the mode says.
func checkCommands(t *testing.T, srv *smtptest.Server, m mode) {
	t.Helper()
	bdat, data := srv.Chunked.Load(), srv.DataCmds.Load()
	if m.noChunking && (bdat != 0 || data == 0) || !m.noChunking && (bdat == 0 || data != 0) {
		t.Fatalf("%s: the server saw %d BDAT and %d DATA", m.name, bdat, data)
	}
}

// TestDotStuffingRoundTrips sends lines that begin with dots in each mode
// and checks the server stored them unchanged.
func TestDotStuffingRoundTrips(t *testing.T) {
	msg := "Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nmiddle . dot\r\nlast line\r\n"
	for _, m := range modes {
		srv := smtptest.Start(t)
		s := dial(t, srv, m)
		for _, to := range []string{"a@example.org", "b@example.org"} {
			if err := delivery.SendOne(s, "bounces@lists.example.org", to, []byte(msg)); err != nil {
				t.Fatalf("%s: %v", m.name, err)
			}
		}
		s.Close()
		got := srv.Messages()
		if len(got) != 2 || string(got[1].Data) != msg {
			t.Fatalf("%s: stored %q", m.name, got)
		}
		checkCommands(t, srv, m)
	}
}

// A message without a final line break still arrives whole.
func TestMessageWithoutFinalLineBreak(t *testing.T) {
	for _, m := range modes {
		srv := smtptest.Start(t)
		s := dial(t, srv, m)
		if err := delivery.SendOne(s, "b@lists.example.org", "a@example.org", []byte("Subject: x\r\n\r\nno end")); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		s.Close()
		if got := srv.Messages(); len(got) != 1 || string(got[0].Data) != "Subject: x\r\n\r\nno end\r\n" {
			t.Fatalf("%s: stored %q", m.name, got)
		}
	}
}

func TestRefusalsBecomeReplyErrors(t *testing.T) {
	for _, m := range modes {
		srv := smtptest.Start(t)
		srv.Fail("bad@example.org", smtptest.Fault{Stage: "RCPT", Code: 550})
		s := dial(t, srv, m)
		err := delivery.SendOne(s, "b@lists.example.org", "bad@example.org", []byte("Subject: x\r\n\r\nx\r\n"))
		if err == nil || !strings.Contains(err.Error(), "RCPT: 550") {
			t.Fatalf("%s: err = %v", m.name, err)
		}
		// The session stays usable after a refusal.
		if err := delivery.SendOne(s, "b@lists.example.org", "good@example.org", []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
			t.Fatalf("%s: after a refusal: %v", m.name, err)
		}
		s.Close()
		if got := srv.Messages(); len(got) != 1 || got[0].To[0] != "good@example.org" {
			t.Fatalf("%s: stored %+v", m.name, got)
		}
	}
}

// sendChain sends to each recipient in turn, its gate announcing the next
// one, as the sender's workers do, and returns each Send's error.
func sendChain(s delivery.Session, to []string, gate func(i int) error) []error {
	errs := make([]error, len(to))
	for i, rcpt := range to {
		var next *delivery.Envelope
		if i+1 < len(to) {
			next = &delivery.Envelope{From: "b@lists.example.org", To: to[i+1]}
		}
		msg := fmt.Appendf(nil, "Subject: %d\r\n\r\nfor %s\r\n", i, rcpt)
		errs[i] = s.Send(delivery.Envelope{From: "b@lists.example.org", To: rcpt}, msg, func() (*delivery.Envelope, error) { return next, gate(i) })
	}
	return errs
}

// TestAnnouncedMessagesArriveInOrder: each message's envelope travels
// behind the end of the one before; every message arrives with its own
// text, and a refusal of an announced recipient is reported for that
// message only.
func TestAnnouncedMessagesArriveInOrder(t *testing.T) {
	for _, m := range modes {
		srv := smtptest.Start(t)
		srv.Fail("r2@example.org", smtptest.Fault{Stage: "RCPT", Code: 550})
		srv.Fail("r4@example.org", smtptest.Fault{Stage: "DATA", Code: 451})
		s := dial(t, srv, m)
		to := []string{"r0@example.org", "r1@example.org", "r2@example.org", "r3@example.org", "r4@example.org", "r5@example.org"}
		errs := sendChain(s, to, func(int) error { return nil })
		s.Close()
		for i, err := range errs {
			var re *delivery.ReplyError
			switch {
			case i == 2 && (!errors.As(err, &re) || re.Code != 550 || re.Stage != "RCPT"):
				t.Fatalf("%s: message 2: %v", m.name, err)
			case i == 4 && (!errors.As(err, &re) || re.Code != 451 || re.Stage != "DATA"):
				t.Fatalf("%s: message 4: %v", m.name, err)
			case i != 2 && i != 4 && err != nil:
				t.Fatalf("%s: message %d: %v", m.name, i, err)
			}
		}
		got := srv.Messages()
		want := []int{0, 1, 3, 5}
		if len(got) != len(want) {
			t.Fatalf("%s: %d messages stored, want %d", m.name, len(got), len(want))
		}
		for k, i := range want {
			if got[k].To[0] != to[i] || !strings.Contains(string(got[k].Data), "for "+to[i]) {
				t.Fatalf("%s: message %d went to %v: %q", m.name, i, got[k].To, got[k].Data)
			}
		}
		checkCommands(t, srv, m)
	}
}

// TestClosingAbandonsTheAnnouncedMessage: a session closed after it
// announced the next envelope delivers nothing more, even though the
// server may have said 354 to its DATA; and a Send for another envelope
// than the announced one is refused.
func TestClosingAbandonsTheAnnouncedMessage(t *testing.T) {
	for _, m := range modes {
		srv := smtptest.Start(t)
		s := dial(t, srv, m)
		errs := sendChain(s, []string{"a@example.org", "b@example.org"}[:1], func(int) error { return nil })
		if errs[0] != nil {
			t.Fatal(errs[0])
		}
		next := &delivery.Envelope{From: "b@lists.example.org", To: "announced@example.org"}
		announce := func() (*delivery.Envelope, error) { return next, nil }
		if err := s.Send(delivery.Envelope{From: "b@lists.example.org", To: "c@example.org"}, []byte("Subject: c\r\n\r\nc\r\n"), announce); err != nil {
			t.Fatal(err)
		}
		err := delivery.SendOne(s, "b@lists.example.org", "other@example.org", []byte("Subject: o\r\n\r\no\r\n"))
		if m.noPipelining {
			if err != nil { // nothing was announced without pipelining
				t.Fatalf("%s: %v", m.name, err)
			}
		} else if !errors.Is(err, errAnnounced) {
			t.Fatalf("%s: a Send for another envelope: %v", m.name, err)
		}
		s.Close()
		time.Sleep(50 * time.Millisecond) // let the server see the connection go
		for _, msg := range srv.Messages() {
			if msg.To[0] == "announced@example.org" {
				t.Fatalf("%s: the announced message was delivered: %q", m.name, msg.Data)
			}
		}
		if n := len(srv.Messages()); n != 2 && !m.noPipelining || n != 3 && m.noPipelining {
			t.Fatalf("%s: %d messages stored", m.name, n)
		}
	}
}

// TestGateErrorDeliversNothing: a message whose gate fails never reaches
// the server, in any mode, and the session refuses further work.
func TestGateErrorDeliversNothing(t *testing.T) {
	stop := errors.New("stopped")
	for _, m := range modes {
		srv := smtptest.Start(t)
		s := dial(t, srv, m)
		errs := sendChain(s, []string{"a@example.org", "b@example.org", "c@example.org"}, func(i int) error {
			if i == 1 {
				return stop
			}
			return nil
		})
		s.Close()
		if errs[0] != nil || !errors.Is(errs[1], stop) || errs[2] == nil {
			t.Fatalf("%s: errors %v", m.name, errs)
		}
		time.Sleep(50 * time.Millisecond)
		if got := srv.Messages(); len(got) != 1 || got[0].To[0] != "a@example.org" {
			t.Fatalf("%s: stored %+v", m.name, got)
		}
	}
}
