package inbound_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mailer/internal/inbound"
)

// withoutHeaders drops the named header fields (and their folded lines).
func withoutHeaders(raw string, names ...string) string {
	head, body, _ := strings.Cut(raw, "\n\n")
	for _, n := range names {
		head = regexp.MustCompile(`(?im)^`+regexp.QuoteMeta(n)+`:.*(\n[ \t].*)*\n?`).ReplaceAllString(head+"\n", "")
		head = strings.TrimSuffix(head, "\n")
	}
	return head + "\n\n" + body
}

// withBody replaces the body with a command, as an auto-reply quoting the
// mail it answers does.
func withBody(raw, body string) string {
	head, _, _ := strings.Cut(raw, "\n\n")
	return head + "\n\n" + body
}

// Real out-of-office replies marked only by a vendor's header (see
// testdata/README.md) are never answered and their commands never run;
// each is stopped by the marker it carries.
func TestVendorMarkedAutoRepliesAreNeverAnswered(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	followup := read("zammad-exchange-followup.eml")
	cases := []struct{ name, raw, why string }{
		{"exchange oof 1", read("zammad-exchange-oof-1.eml"), "X-Auto-Response-Suppress: All"},
		{"exchange oof 2", read("zammad-exchange-oof-2.eml"), "X-Auto-Response-Suppress: All"},
		{"gmail vacation", read("zammad-gmail-vacation.eml"), "Auto-Submitted"},
		{"X-Autoreply only", withoutHeaders(read("zammad-gmail-vacation.eml"), "Auto-Submitted", "Precedence"), "X-Autoreply: yes"},
		{"X-Autorespond", strings.Replace(followup, "\n\n", "\nX-Autorespond: vacation\n\n", 1), "X-Autorespond"},
		{"Precedence auto_reply", strings.Replace(followup, "\n\n", "\nPrecedence: auto_reply\n\n", 1), "Precedence: auto_reply"},
		{"foreign X-Loop", strings.Replace(followup, "\n\n", "\nX-Loop: owner-majordomo@kvack.org\n\n", 1), "another robot"},
	}
	e := newEnv(t)
	ctx := context.Background()
	for _, c := range cases {
		raw := withBody(c.raw, "subscribe bpf-updates\n")
		res, err := e.h.Handle(ctx, inbound.Delivery{Recipient: "majordomo@" + host, Sender: "me@example.com", SenderKnown: true, Raw: []byte(raw)})
		if err != nil || res.Outcome != inbound.Ignored || !strings.Contains(res.Detail, c.why) {
			t.Errorf("%s: %+v %v, want ignored for %q", c.name, res, err, c.why)
		}
	}
	if n := len(e.srv.Messages()); n != 0 {
		t.Fatalf("%d answers to auto-replies", n)
	}
	if st := e.status("me@example.com"); st != "" {
		t.Fatalf("an auto-reply's command ran: me@example.com is %q", st)
	}
}

// A person's mail is still answered: Exchange's inbox-rule loop marker
// alone (Zammad's "normal follow up") and X-Auto-Response-Suppress values
// that only decline receipts (DR, RN) do not make a mail automatic.
func TestPeoplesMailWithExchangeMarkersIsAnswered(t *testing.T) {
	followup, err := os.ReadFile(filepath.Join("testdata", "zammad-exchange-followup.eml"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	for i, raw := range []string{
		withBody(string(followup), "help\n"),
		strings.Replace(withBody(string(followup), "help\n"), "\n\n", "\nX-Auto-Response-Suppress: DR, RN\nX-Autoreply: no\n\n", 1),
	} {
		res, err := e.h.Handle(context.Background(), inbound.Delivery{Recipient: "majordomo@" + host, Sender: "me@example.com", SenderKnown: true, Raw: []byte(raw)})
		if err != nil || res.Outcome == inbound.Ignored {
			t.Fatalf("case %d: %+v %v, want an answer", i, res, err)
		}
	}
	if n := len(e.mailsTo("me@example.com")); n != 2 {
		t.Fatalf("%d answers, want 2", n)
	}
}
