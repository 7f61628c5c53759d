package inbound_test

import (
	"context"
	"strings"
	"testing"

	"mailer/internal/address"
	"mailer/internal/store"
)

// TestMailAnswersAboutOthersAreAlike: one mail probing addresses learns
// nothing: the transcript reads the same whatever their states, and the
// address asked about itself gets the truth.
func TestMailAnswersAboutOthersAreAlike(t *testing.T) {
	var first string
	for _, st := range []store.Status{"", store.Pending, store.Active, store.Unsubscribed, store.Bounced, store.Disabled} {
		e := newEnv(t)
		if st != "" {
			a, _ := address.Parse("carol@example.org")
			e.db.SetStatus(context.Background(), listOf(e.t, e.db, "bpf-updates"), a, store.Active, store.Evidence{Source: store.SourceAdmin})
			if st != store.Active {
				e.db.SetStatus(context.Background(), listOf(e.t, e.db, "bpf-updates"), a, st, store.Evidence{Source: store.SourceAdmin})
			}
		}
		e.send("majordomo@"+host, "mallory@example.net", "subscribe bpf-updates carol@example.org\nunsubscribe bpf-updates carol@example.org\n")
		got := e.mailsTo("mallory@example.net")
		if len(got) != 1 {
			t.Fatalf("%q: %d answers", st, len(got))
		}
		if first == "" {
			first = got[0].Body
		} else if got[0].Body != first {
			t.Errorf("state %q answered otherwise:\n%s\n---\n%s", st, got[0].Body, first)
		}
	}
	if !strings.Contains(first, "If carol@example.org is not yet on bpf-updates") || !strings.Contains(first, "If carol@example.org is on bpf-updates") {
		t.Fatalf("answer:\n%s", first)
	}
	// carol asking about herself is told.
	e := newEnv(t)
	a, _ := address.Parse("carol@example.org")
	e.db.SetStatus(context.Background(), listOf(e.t, e.db, "bpf-updates"), a, store.Active, store.Evidence{Source: store.SourceAdmin})
	e.send("majordomo@"+host, "carol@example.org", "subscribe bpf-updates\n")
	if got := e.mailsTo("carol@example.org"); len(got) != 1 || !strings.Contains(got[0].Body, "already subscribed") {
		t.Fatalf("carol's answer: %+v", got)
	}
	// With a Reply-To elsewhere, carol's From is not enough to be told.
	e.send("majordomo@"+host, "carol@example.org", "subscribe bpf-updates\n", "Reply-To: mallory@example.net\r\n")
	if got := e.mailsTo("mallory@example.net"); len(got) != 1 || strings.Contains(got[0].Body, "already subscribed") {
		t.Fatalf("answer to the Reply-To: %+v", got)
	}
}

// TestMailCapSaidHonestly: when the address asked about has had its mail
// for the hour, the asker is told that nothing can be sent now, and
// nothing changes.
func TestMailCapSaidHonestly(t *testing.T) {
	e := newEnv(t)
	for range 10 {
		e.db.RecordReply(context.Background(), "victim@example.com", store.BudgetMail)
	}
	e.send("majordomo@"+host, "mallory@example.net", "subscribe bpf-updates victim@example.com\n")
	got := e.mailsTo("mallory@example.net")
	if len(got) != 1 || !strings.Contains(got[0].Body, "we cannot send mail right now") || !strings.Contains(got[0].Body, "Nothing was changed") {
		t.Fatalf("answer: %+v", got)
	}
	if e.status("victim@example.com") != "" || len(e.mailsTo("victim@example.com")) != 0 {
		t.Fatalf("victim: %q, %d mails", e.status("victim@example.com"), len(e.mailsTo("victim@example.com")))
	}
}

// TestConfirmBySubjectToMajordomo: replying to a confirmation with the
// mail client's Reply-All or a changed To can land at majordomo@; the code
// in the Subject confirms, whatever the body says.
func TestConfirmBySubjectToMajordomo(t *testing.T) {
	e := newEnv(t)
	e.send("majordomo@"+host, "zoe@example.com", "subscribe bpf-updates\n")
	var subject string
	for _, m := range e.mailsTo("zoe@example.com") {
		if strings.HasPrefix(m.Subject, "Confirm:") {
			subject = m.Subject
		}
	}
	if subject == "" {
		t.Fatal("no confirmation")
	}
	e.send("majordomo@"+host, "zoe@example.com", "Yes, please!\n\n> Someone asked to subscribe\n", "Subject: Re: "+subject+"\r\n")
	if st := e.status("zoe@example.com"); st != store.Active {
		t.Fatalf("status %q after replying to majordomo@ with the code in the Subject", st)
	}
}
