package mtaserver_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/inbound"
	"mailer/internal/mtaserver"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// TestReply is the edge's whole mapping of handler errors to SMTP replies.
func TestReply(t *testing.T) {
	for _, c := range []struct {
		err      error
		code     int
		enhanced smtp.EnhancedCode
		says     string
	}{
		{&fault.Error{Code: fault.NotFound, Err: inbound.ErrUnknownRecipient, Message: "x@h: no list named \"x\" here"}, 550, smtp.EnhancedCode{5, 1, 1}, "no list named"},
		{&fault.Error{Code: fault.Invalid, Err: inbound.ErrAnnounceOnly, Message: "announce-only"}, 550, smtp.EnhancedCode{5, 7, 1}, "announce-only"},
		{fault.Errorf(fault.Unavailable, "database busy"), 451, smtp.EnhancedCode{4, 3, 0}, "try again later"},
		{fault.Errorf(fault.Invalid, "bad input"), 451, smtp.EnhancedCode{4, 3, 0}, "try again later"},
		{fault.Errorf(fault.Conflict, "clash"), 451, smtp.EnhancedCode{4, 3, 0}, "try again later"},
		{errors.New("secret internals"), 451, smtp.EnhancedCode{4, 3, 0}, "try again later"},
	} {
		r := mtaserver.Reply(c.err)
		if r.Code != c.code || r.EnhancedCode != c.enhanced || !strings.Contains(r.Message, c.says) {
			t.Errorf("Reply(%v) = %d %v %q, want %d %v ~%q", c.err, r.Code, r.EnhancedCode, r.Message, c.code, c.enhanced, c.says)
		}
		if strings.Contains(r.Message, "secret") {
			t.Errorf("Reply(%v) shows internals: %q", c.err, r.Message)
		}
	}
}

// TestLMTPAnswersEachRecipient: over a real socket, a subscribe mail to
// majordomo is taken (250) and leaves a pending member and a confirmation
// request at the relay; addresses that are not ours and posts to the
// announce-only list are refused at RCPT with their own codes.
func TestLMTPAnswersEachRecipient(t *testing.T) {
	db, relay := newStore(t), smtptest.Start(t)
	tr, err := smtpsend.New(smtpsend.Options{Host: relay.Host, Port: relay.Port, TLS: smtpsend.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	w := testwire.Build(t, db, delivery.Outbox{Transport: tr}, testwire.Options{PerAddressHour: 10, MailPerHour: 10})
	c := dialLMTP(t, mtaserver.New(w.Handler, mtaserver.Options{LMTP: true, Domain: testwire.Host, MaxMessageBytes: 1 << 20}))
	if err := c.Mail("zoe@example.com", nil); err != nil {
		t.Fatal(err)
	}
	for rcpt, want := range map[string]int{"nobody@" + testwire.Host: 550, "news@" + testwire.Host: 550} {
		var se *smtp.SMTPError
		if err := c.Rcpt(rcpt, nil); !errors.As(err, &se) || se.Code != want {
			t.Errorf("RCPT %s: %v, want %d", rcpt, err, want)
		}
	}
	if err := c.Rcpt("majordomo@"+testwire.Host, nil); err != nil {
		t.Fatal(err)
	}
	statuses := sendData(t, c, "From: zoe@example.com\r\nTo: majordomo@"+testwire.Host+"\r\nSubject: join\r\nMessage-ID: <z1@example.com>\r\n\r\nsubscribe news\r\n")
	if st, ok := statuses["majordomo@"+testwire.Host]; len(statuses) != 1 || !ok || st == nil {
		t.Fatalf("LMTP statuses: %v", statuses)
	}
	l, _ := db.GetList(context.Background(), "news")
	if m, err := db.GetMember(context.Background(), l, "zoe@example.com"); err != nil || m.Status != store.Pending {
		t.Fatalf("after subscribe: %+v, %v", m, err)
	}
	if got := relay.ByRecipient()["zoe@example.com"]; got != 1 { // the confirmation request, carrying the answer
		t.Fatalf("zoe got %d messages, want 1: %v", got, relay.ByRecipient())
	}
}

func newStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), pgtest.Location(t, "m.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	from := "News <news@example.org>"
	if _, err := db.CreateList(context.Background(), "news", store.ListSettings{From: &from}); err != nil {
		t.Fatal(err)
	}
	return db
}

// dialLMTP serves s on 127.0.0.1 and connects an LMTP client to it.
func dialLMTP(t *testing.T, s *smtp.Server) *smtp.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("mta.example.org"); err != nil {
		t.Fatal(err)
	}
	return c
}

// sendData sends msg and returns the LMTP status of each recipient.
func sendData(t *testing.T, c *smtp.Client, msg string) map[string]*smtp.DataResponse {
	t.Helper()
	wc, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wc.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	resp, err := wc.CloseWithLMTPResponse()
	if err != nil {
		t.Fatalf("per-recipient statuses: %v", err)
	}
	return resp
}
