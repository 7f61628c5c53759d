package web_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// TestFormWithMailDown: while the mail server refuses, nothing is
// recorded: no pending member, no code that blocks the next try. The page
// cannot say so (its work runs after it, so that it tells nothing of the
// address: see TestFormDoesTheSameWorkForEveryAddress); the next try sends
// the confirmation.
func TestFormWithMailDown(t *testing.T) {
	e := newEnv(t)
	cookie, csrf := e.subscribeForm()
	e.srv.Fail("dan@example.org", smtptest.Fault{Stage: "RCPT", Code: 451, Times: 2})
	for range 2 {
		if code, body := e.postForm(cookie, csrf, "dan@example.org", ""); code != 200 || !strings.Contains(body, "Check your mailbox") {
			t.Fatalf("mail down: %d\n%s", code, body)
		}
		if e.status("dan@example.org") != "" {
			t.Fatalf("recorded as %q though nothing was sent", e.status("dan@example.org"))
		}
	}
	if code, body := e.postForm(cookie, csrf, "dan@example.org", ""); code != 200 || !strings.Contains(body, "Check your mailbox") {
		t.Fatalf("mail back: %d\n%s", code, body)
	}
	if e.status("dan@example.org") != store.Pending || e.confirmationPath("dan@example.org") == "" {
		t.Fatalf("after the retry: %q", e.status("dan@example.org"))
	}
}

// TestFormTellsNothingAboutTheAddress: whatever the state of the address
// typed in, a stranger sees the same page.
func TestFormTellsNothingAboutTheAddress(t *testing.T) {
	// Behind a trusted proxy, each post from its own client address, so the
	// per-client rate limit stays out of the way.
	e := newEnvWith(t, testwire.Options{ConfirmTTL: time.Hour, Interval: time.Minute, PerAddressHour: 10, MailPerHour: 500,
		WebPerHour: 200}, netip.MustParsePrefix("127.0.0.0/8"))
	e.member("active@example.org", store.Active)
	e.member("bounced@example.org", store.Active)
	e.member("bounced@example.org", store.Bounced)
	e.member("pending@example.org", store.Pending)
	cookie, csrf := e.subscribeForm()
	e.postForm(cookie, csrf, "recent@example.org", "", "X-Forwarded-For", "198.51.100.1")
	var first string
	for i, a := range []string{"new@example.org", "active@example.org", "bounced@example.org", "pending@example.org", "recent@example.org"} {
		code, body := e.postForm(cookie, csrf, a, "", "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", 10+i))
		page := strings.ReplaceAll(body, a, "ADDRESS")
		if code != 200 {
			t.Fatalf("%s: %d", a, code)
		}
		if first == "" {
			first = page
		} else if page != first {
			t.Errorf("%s gets another page:\n%s\n---\n%s", a, page, first)
		}
	}
}

// TestFormBudgetIsSaidHonestly: once the web budget is spent, the page
// says mail cannot be sent now, with Retry-After, and sends nothing.
func TestFormBudgetIsSaidHonestly(t *testing.T) {
	e := newEnvWith(t, testwire.Options{ConfirmTTL: time.Hour, Interval: time.Minute, MailPerHour: 100, WebPerHour: 2})
	cookie, csrf := e.subscribeForm()
	for _, a := range []string{"a@example.org", "b@example.org"} {
		if code, _ := e.postForm(cookie, csrf, a, ""); code != 200 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	code, body := e.postForm(cookie, csrf, "c@example.org", "")
	if code != 503 || !strings.Contains(body, "cannot send mail right now") || e.status("c@example.org") != "" || len(e.srv.Messages()) != 2 {
		t.Fatalf("over budget: %d, %q, %d mails\n%s", code, e.status("c@example.org"), len(e.srv.Messages()), body)
	}
}

// TestResubscribeAfterBounces: the unsubscribe page's "subscribe again"
// does not revive a member that bounces had stopped; it sends a
// confirmation instead.
func TestResubscribeAfterBounces(t *testing.T) {
	e := newEnv(t)
	tok := e.member("carol@example.org", store.Active)
	e.member("carol@example.org", store.Bounced)
	if code, _, _ := e.do("POST", "/u/"+tok, nil); code != 200 || e.status("carol@example.org") != store.Unsubscribed {
		t.Fatalf("unsubscribe: %d %q", code, e.status("carol@example.org"))
	}
	code, body, _ := e.do("POST", "/u/"+tok+"/resubscribe", nil)
	if code != 200 || !strings.Contains(body, "Check your mailbox") || e.status("carol@example.org") == store.Active {
		t.Fatalf("resubscribe: %d %q\n%s", code, e.status("carol@example.org"), body)
	}
	if e.confirmationPath("carol@example.org") == "" {
		t.Fatal("no confirmation sent")
	}
}

// TestConfirmLinkInUpperCase: a link that went through something that
// upper-cased it still confirms (mail takes the code in any case), and a
// failure page names the list, not "Newsletters".
func TestConfirmLinkInUpperCase(t *testing.T) {
	e := newEnv(t)
	cookie, csrf := e.subscribeForm()
	e.postForm(cookie, csrf, "dan@example.org", "")
	path := e.confirmationPath("dan@example.org")
	upper := "/confirm/" + strings.ToUpper(strings.TrimPrefix(path, "/confirm/"))
	if code, body, _ := e.do("GET", upper, nil); code != 200 || !strings.Contains(body, "dan@example.org") {
		t.Fatalf("GET upper-case: %d\n%s", code, body)
	}
	if code, _, _ := e.do("POST", upper, nil); code != 200 || e.status("dan@example.org") != store.Active {
		t.Fatalf("POST upper-case: %d %q", code, e.status("dan@example.org"))
	}
	e.member("dan@example.org", store.Unsubscribed)
	code, body, _ := e.do("POST", path, nil)
	if code != 410 || !strings.Contains(body, "<title>BPF updates</title>") {
		t.Fatalf("used code page: %d\n%s", code, body)
	}
}

// TestFormCleansTheAddress: a byte-order mark or zero-width space pasted
// with the address does not make a second person.
func TestFormCleansTheAddress(t *testing.T) {
	e := newEnv(t)
	e.member("dan@example.org", store.Active)
	cookie, csrf := e.subscribeForm()
	if code, _ := e.postForm(cookie, csrf, "\uFEFFdan@example.org\u200B", ""); code != 200 {
		t.Fatalf("post: %d", code)
	}
	l, _ := e.db.GetList(context.Background(), "bpf-updates")
	if n := l.Counts[store.Active] + l.Counts[store.Pending]; n != 1 {
		t.Fatalf("%d members after a BOM-prefixed copy of an address", n)
	}
}

// TestOneClickIsSilent: RFC 8058 asks for no mail after a one-click
// unsubscribe; the page's unsubscribe sends none either.
func TestOneClickIsSilent(t *testing.T) {
	e := newEnv(t)
	tok := e.member("ann@example.org", store.Active)
	tok2 := e.member("bo@example.org", store.Active)
	if code, _, _ := e.do("POST", "/u/"+tok, strings.NewReader("List-Unsubscribe=One-Click"), "Content-Type", form); code != 200 {
		t.Fatalf("one-click: %d", code)
	}
	if code, _, _ := e.do("POST", "/u/"+tok2, nil); code != 200 {
		t.Fatalf("page: %d", code)
	}
	if e.status("ann@example.org") != store.Unsubscribed || e.status("bo@example.org") != store.Unsubscribed || len(e.srv.Messages()) != 0 {
		t.Fatalf("statuses %q %q, %d mails sent", e.status("ann@example.org"), e.status("bo@example.org"), len(e.srv.Messages()))
	}
}

// TestOldLinkDoesNotUndoAnOwnersRemoval: a reader removed by an owner
// still holds the link of an earlier mail; its resubscribe asks for a
// confirmation and changes nothing, on every policy.
func TestOldLinkDoesNotUndoAnOwnersRemoval(t *testing.T) {
	for _, policy := range []store.Policy{store.PolicyConfirm, store.PolicyOpen, store.PolicyClosed} {
		e := newEnv(t)
		e.db.UpdateList(context.Background(), "bpf-updates", store.ListSettings{Policy: &policy})
		tok := e.member("erin@example.org", store.Active)
		e.member("erin@example.org", store.Unsubscribed) // the owner's removal (source admin)
		code, body, _ := e.do("POST", "/u/"+tok+"/resubscribe", nil)
		if e.status("erin@example.org") == store.Active || strings.Contains(body, "Welcome back") {
			t.Fatalf("%s: an old link undid an owner's removal: %d %q\n%s", policy, code, e.status("erin@example.org"), body)
		}
		if sent := e.srv.ByRecipient()["erin@example.org"] > 0; sent != (policy != store.PolicyClosed) {
			t.Fatalf("%s: confirmation sent: %v", policy, sent)
		}
	}
}
