package mailout_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/maildir"
	"mailer/internal/mailout"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

// TestTransportErrors: a hand-over that fails, temporarily or for good,
// is a fault.Unavailable (the request may succeed later, or by another
// way) that names the recipient and keeps the cause; nothing is counted
// against the caps.
func TestTransportErrors(t *testing.T) {
	e := newEnv(t)
	_, srv := toSMTP(t)
	srv.Fail("deferred@example.org", smtptest.Fault{Stage: "RCPT", Code: 451})
	srv.Fail("refused@example.org", smtptest.Fault{Stage: "RCPT", Code: 550})
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, to string
		out      mailout.Transport
		want     string
	}{
		{"deferred", "deferred@example.org", delivery.Outbox{Transport: smtpTo(t, srv.Host, srv.Port)}, "RCPT: 451"},
		{"refused", "refused@example.org", delivery.Outbox{Transport: smtpTo(t, srv.Host, srv.Port)}, "RCPT: 550"},
		{"relay not listening", "reader@example.org", delivery.Outbox{Transport: smtpTo(t, "127.0.0.1", deadPort(t))}, "nothing listens"},
		{"Maildir not writable", "reader@example.org", delivery.Outbox{Transport: &maildir.Transport{Dir: notDir}}, notDir},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := e.mailer(c.out, mailout.Caps{PerAddressHour: 5})
			msg, err := m.Compose(mailout.Header{From: m.SiteFrom(), To: c.to, Subject: "x"}, "x\n")
			if err != nil {
				t.Fatal(err)
			}
			err = m.Send(e.ctx, store.BudgetMail, book.SiteBounces(), c.to, msg)
			if fault.CodeOf(err) != fault.Unavailable || mailout.Capped(err) ||
				!strings.HasPrefix(err.Error(), "send mail to "+c.to+": ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v (%s), want unavailable with %q", err, fault.CodeOf(err), c.want)
			}
			if n := e.sent(t, c.to); n != 0 {
				t.Errorf("%d counted for a mail not sent", n)
			}
		})
	}
	var re *delivery.ReplyError
	m := e.mailer(delivery.Outbox{Transport: smtpTo(t, srv.Host, srv.Port)}, mailout.Caps{})
	if err := m.Send(e.ctx, store.BudgetMail, book.SiteBounces(), "refused@example.org", []byte("Subject: x\r\n\r\nx\r\n")); !errors.As(err, &re) || re.Code != 550 {
		t.Errorf("the server's reply is not kept as the cause: %v", err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("the relay took %d messages", len(srv.Messages()))
	}
}

func deadPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestPerAddressCap: one address gets at most the cap an hour, whatever
// budget asks, counted in the store under the address's key (the domain's
// case does not matter); the refusal is a fault.Unavailable that says to
// try again in an hour, and an hour later there is room again.
func TestPerAddressCap(t *testing.T) {
	e := newEnv(t)
	out, srv := toSMTP(t)
	m := e.mailer(out, mailout.Caps{PerAddressHour: 2})
	send := func(budget, to string) error {
		return m.Send(e.ctx, budget, book.SiteBounces(), to, []byte("Subject: x\r\n\r\nx\r\n"))
	}
	for _, b := range []string{store.BudgetMail, store.BudgetWeb} {
		if err := send(b, "reader@example.org"); err != nil {
			t.Fatal(err)
		}
	}
	err := send(store.BudgetMail, "reader@EXAMPLE.org")
	if !mailout.Capped(err) || fault.CodeOf(err) != fault.Unavailable ||
		fault.MessageOf(err) != "we cannot send mail right now (the hourly cap for one address is reached); please try again in an hour" {
		t.Fatalf("third mail: %v (%s)", err, fault.CodeOf(err))
	}
	if m.Room(e.ctx, store.BudgetWeb, "reader@example.org") == nil {
		t.Error("Room says yes at the cap")
	}
	if err := send(store.BudgetMail, "other@example.org"); err != nil {
		t.Errorf("another address: %v", err)
	}
	if n := len(srv.Messages()); n != 3 || e.sent(t, "reader@example.org") != 2 {
		t.Errorf("the relay got %d, %d counted; want 3 and 2", n, e.sent(t, "reader@example.org"))
	}
	e.now = e.now.Add(time.Hour + time.Second)
	if err := send(store.BudgetMail, "reader@example.org"); err != nil {
		t.Errorf("an hour later: %v", err)
	}
}

// TestBudgetCap: each budget has its own hourly cap across addresses, so
// web forms filled by a robot leave room for mail commands; a zero cap is
// no cap; asking for room counts nothing.
func TestBudgetCap(t *testing.T) {
	e := newEnv(t)
	out, srv := toSMTP(t)
	m := e.mailer(out, mailout.Caps{PerHour: map[string]int{store.BudgetWeb: 2}})
	send := func(budget, to string) error {
		return m.Send(e.ctx, budget, book.SiteBounces(), to, []byte("Subject: x\r\n\r\nx\r\n"))
	}
	for range 5 {
		if err := m.Room(e.ctx, store.BudgetWeb, "a@example.org"); err != nil {
			t.Fatal(err)
		}
	}
	for _, to := range []string{"a@example.org", "b@example.org"} {
		if err := send(store.BudgetWeb, to); err != nil {
			t.Fatal(err)
		}
	}
	err := send(store.BudgetWeb, "c@example.org")
	if !mailout.Capped(err) || fault.CodeOf(err) != fault.Unavailable || !strings.Contains(fault.MessageOf(err), "the hourly cap of web answers") {
		t.Fatalf("third web mail: %v", err)
	}
	for i := range 10 { // the mail budget has no cap, nor has one address
		if err := send(store.BudgetMail, "c@example.org"); err != nil {
			t.Fatalf("mail %d: %v", i, err)
		}
	}
	if n := len(srv.Messages()); n != 12 {
		t.Errorf("the relay got %d, want 12", n)
	}
}

// TestFroms: a list's mail comes from its From, or from its request
// address under its title; mail about no list from majordomo@.
func TestFroms(t *testing.T) {
	e := newEnv(t)
	m := e.mailer(nil, mailout.Caps{})
	if got := m.ListFrom(e.list); got != "=?utf-8?q?=C3=89ditions_Zo=C3=AB?= <zoe@news.example.com>" {
		t.Errorf("ListFrom with a From: %q", got)
	}
	title := "Weekly news"
	bare, err := e.db.CreateList(e.ctx, "bare", store.ListSettings{Title: &title})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.ListFrom(bare); got != "Weekly news <bare-request@lists.example.org>" {
		t.Errorf("ListFrom without a From: %q", got)
	}
	if got := m.SiteFrom(); got != "Majordomo <majordomo@lists.example.org>" {
		t.Errorf("SiteFrom: %q", got)
	}
	if !reflect.DeepEqual(m.Book(), book) {
		t.Errorf("Book: %+v", m.Book())
	}
}
