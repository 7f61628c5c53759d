package bounces_test

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

// noticeTo reads the one notice sent to owner as a real message: its
// envelope sender, headers and decoded text.
func (e *env) noticeTo(owner string) (string, mail.Header, string) {
	e.t.Helper()
	var found []smtptest.Message
	for _, m := range e.srv.Messages() {
		if len(m.To) == 1 && m.To[0] == owner {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		e.t.Fatalf("%d notices to %s", len(found), owner)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(found[0].Data))
	if err != nil {
		e.t.Fatal(err)
	}
	if ct, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type")); err != nil || ct != "text/plain" || params["charset"] != "utf-8" {
		e.t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		e.t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		e.t.Fatal(err)
	}
	return found[0].From, msg.Header, string(body)
}

func TestOwnerNoticeReachesEveryOwner(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 1, Window: 7 * day})
	e.join("news", "alice@example.org", store.Active)
	e.bounceMail("news", "alice@example.org", "dsn-postfix-hard.eml")
	for _, o := range owners {
		envelope, h, body := e.noticeTo(o)
		if envelope != "news-bounces@"+host {
			t.Errorf("%s: envelope sender %q", o, envelope)
		}
		from, err := mail.ParseAddress(h.Get("From"))
		if err != nil || from.Address != "news-request@"+host || from.Name != "The news" {
			t.Errorf("%s: From %q: %v", o, h.Get("From"), err)
		}
		if to, err := mail.ParseAddress(h.Get("To")); err != nil || to.Address != o {
			t.Errorf("To %q: %v", h.Get("To"), err)
		}
		if s := h.Get("Subject"); s != "Bounces stopped mail to alice@example.org on news" {
			t.Errorf("%s: Subject %q", o, s)
		}
		// RFC 3834: no robot answers it.
		if a := h.Get("Auto-Submitted"); a != "auto-replied" {
			t.Errorf("%s: Auto-Submitted %q", o, a)
		}
		for _, want := range []string{"Mail to alice@example.org on The news (news) has bounced too often",
			"reached 1 (the limit is 1)", "hard bounce: 550 5.1.1 <alice@example.org>: Recipient address rejected",
			"mailer subscribers reactivate news alice@example.org", "mailer at " + host} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: body lacks %q:\n%s", o, want, body)
			}
		}
	}
}

// Mail to one owner failing keeps neither the others from being told nor
// the member from being stopped; the first failure is returned.
func TestOwnerNoticeWhenAnOwnerFails(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 1, Window: 7 * day})
	e.srv.Fail(owners[0], smtptest.Fault{Stage: "RCPT", Code: 550})
	l := listOf(t, e.db, "news")
	err := e.notice.NotifyBounced(e.ctx, l, "alice@example.org", 1, "hard bounce: 550")
	if fault.CodeOf(err) != fault.Unavailable || !strings.Contains(err.Error(), owners[0]) {
		t.Fatalf("err %v, want the failure for %s", err, owners[0])
	}
	e.noticeTo(owners[1])

	e.join("news", "bob@example.org", store.Active)
	up, err := e.svc.Refusal(e.ctx, l, "bob@example.org", "550 5.1.1 gone")
	if err != nil || !up.Disabled {
		t.Fatalf("refusal: %+v %v", up, err)
	}
	if m := e.member("news", "bob@example.org"); m.Status != store.Bounced {
		t.Fatalf("status %s", m.Status)
	}
	if n := e.srv.ByRecipient()[owners[1]]; n != 2 {
		t.Fatalf("%s got %d notices, want 2", owners[1], n)
	}
}

// A list without owners tells the site owner.
func TestOwnerNoticeWithoutOwnersGoesToTheSiteOwner(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 1, Window: 7 * day})
	e.join("quiet", "alice@example.org", store.Active)
	e.bounceMail("quiet", "alice@example.org", "dsn-postfix-hard.eml")
	if got := e.srv.ByRecipient(); len(got) != 1 || got[siteOwner] != 1 {
		t.Fatalf("notices %v", got)
	}
	if _, h, _ := e.noticeTo(siteOwner); h.Get("Subject") != "Bounces stopped mail to alice@example.org on quiet" {
		t.Fatalf("Subject %q", h.Get("Subject"))
	}
}
