package optin_test

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// mails returns the messages delivered to addr, parsed.
func (e *env) mails(addr string) []*mail.Message {
	var out []*mail.Message
	for _, m := range e.srv.Messages() {
		if m.To[0] == addr {
			msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
			if err != nil {
				e.t.Fatal(err)
			}
			out = append(out, msg)
		}
	}
	return out
}

func bodyOf(t *testing.T, m *mail.Message) string {
	var b bytes.Buffer
	b.ReadFrom(m.Body)
	return strings.ReplaceAll(strings.ReplaceAll(b.String(), "=\r\n", ""), "\r\n", "\n")
}

// TestWelcomeAndGoodbye: a confirmed subscription gets one welcome (list
// headers, a working one-click link, the archive); a repeated confirmation
// does not get another; a confirmed unsubscribe by mail gets a goodbye;
// both count in the answer caps; a list with welcome off sends neither.
func TestWelcomeAndGoodbye(t *testing.T) {
	e := newEnv(t, testwire.Options{})
	a, _ := address.Parse("zoe@example.com")
	e.subs.Subscribe(e.ctx, e.list, a, self(store.BudgetMail))
	code := e.codeSentTo("zoe@example.com")
	for range 2 {
		if _, err := e.subs.Confirm(e.ctx, code, store.Evidence{Source: store.SourceWeb}); err != nil {
			t.Fatal(err)
		}
	}
	got := e.mails("zoe@example.com")
	if len(got) != 2 || !strings.HasPrefix(got[1].Header.Get("Subject"), "Welcome to BPF updates") {
		t.Fatalf("%d mails, want the confirmation and one welcome", len(got))
	}
	w := got[1]
	body := bodyOf(t, w)
	for _, want := range []string{"zoe@example.com is now subscribed to BPF updates", "https://lists.example.org/archive/bpf-updates/",
		"https://lists.example.org/u/", `send "unsubscribe bpf-updates" to majordomo@lists.example.org`} {
		if !strings.Contains(body, want) {
			t.Errorf("welcome lacks %q:\n%s", want, body)
		}
	}
	if w.Header.Get("List-Id") != `"BPF updates" <bpf-updates.lists.example.org>` && w.Header.Get("List-Id") != "BPF updates <bpf-updates.lists.example.org>" {
		t.Errorf("List-Id %q", w.Header.Get("List-Id"))
	}
	if !strings.Contains(w.Header.Get("List-Unsubscribe"), "https://lists.example.org/u/") || w.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe %q", w.Header.Get("List-Unsubscribe"))
	}
	if n, _ := e.db.RepliesSince(e.ctx, "zoe@example.com", "", e.now.Add(-time.Hour)); n != 2 {
		t.Errorf("%d mails counted for zoe, want 2 (confirmation and welcome)", n)
	}

	e.subs.Unsubscribe(e.ctx, e.list, a, self(store.BudgetMail))
	if _, err := e.subs.Confirm(e.ctx, e.codeSentTo("zoe@example.com"), store.Evidence{Source: store.SourceEmail}); err != nil {
		t.Fatal(err)
	}
	got = e.mails("zoe@example.com")
	if last := got[len(got)-1]; !strings.HasPrefix(last.Header.Get("Subject"), "You have left BPF updates") ||
		!strings.Contains(bodyOf(t, last), "https://lists.example.org/subscribe/bpf-updates") {
		t.Fatalf("goodbye: %q\n%s", last.Header.Get("Subject"), bodyOf(t, last))
	}

	off := false
	e.db.UpdateList(e.ctx, "bpf-updates", store.ListSettings{Welcome: &off})
	b, _ := address.Parse("bo@example.com")
	l, _ := e.db.GetList(e.ctx, "bpf-updates")
	e.subs.Subscribe(e.ctx, l, b, self(store.BudgetMail))
	e.subs.Confirm(e.ctx, e.codeSentTo("bo@example.com"), store.Evidence{})
	if n := len(e.mails("bo@example.com")); n != 1 {
		t.Fatalf("welcome off: %d mails, want only the confirmation", n)
	}
}

// TestConfirmationIsPlainText: the confirmation request is plain text as
// written: the asking mail's Message-ID and the reply address appear as
// they are, not escaped for HTML (the wording is a text template).
func TestConfirmationIsPlainText(t *testing.T) {
	e := newEnv(t, testwire.Options{})
	a, _ := address.Parse("zoe@example.com")
	req := self(store.BudgetMail)
	req.MessageID = "<ask-1@example.com>"
	if _, err := e.subs.Subscribe(e.ctx, e.list, a, req); err != nil {
		t.Fatal(err)
	}
	got := e.mails("zoe@example.com")
	if len(got) != 1 {
		t.Fatalf("%d mails, want the confirmation", len(got))
	}
	body := bodyOf(t, got[0])
	code := e.codeSentTo("zoe@example.com")
	for _, want := range []string{"in the mail <ask-1@example.com>", "bpf-updates-confirm+" + code + "@lists.example.org",
		"BPF updates <bpf-updates@lists.example.org>"} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "&lt;") || strings.Contains(body, "&#") {
		t.Errorf("confirmation is HTML-escaped:\n%s", body)
	}
}
