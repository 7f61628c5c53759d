package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"mailer/internal/address"
	"mailer/internal/store"
)

// TestPreferencePage: one list's link shows every list of the site its
// address is on, in the reader's words; leaving the checked lists, or all,
// acts at once on the lists it is mailed on and never turns a complaint or
// a bounce into an unsubscribe; GET changes nothing; a tampered link is
// refused and changes nothing.
func TestPreferencePage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.member("ann@example.org", store.Active)
	a, _ := address.Parse("ann@example.org")
	others := map[string]store.Status{"news": store.Active, "pending-one": store.Pending, "reported": store.Complained,
		"left-before": store.Unsubscribed, "bounced": store.Bounced}
	for name, st := range others {
		title := "The " + name
		l, err := e.db.CreateList(ctx, name, store.ListSettings{Title: &title})
		if err != nil {
			t.Fatal(err)
		}
		if st == store.Complained || st == store.Bounced || st == store.Unsubscribed {
			e.db.SetStatus(ctx, l, a, store.Active, store.Evidence{Source: store.SourceAdmin})
		}
		if _, err := e.db.SetStatus(ctx, l, a, st, store.Evidence{Source: store.SourceAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	statusOf := func(list string) store.Status {
		m, err := e.db.GetMember(ctx, listOf(t, e.db, list), "ann@example.org")
		if err != nil {
			t.Fatal(err)
		}
		return m.Status
	}
	code, body, _ := e.do("GET", "/u/"+tok+"/preferences", nil)
	for _, want := range []string{`<input type="checkbox" name="leave" value="bpf-updates"> BPF updates`, `value="news"> The news`,
		`value="pending-one">`, "The reported <span class=\"muted\">(stopped: you reported it as spam)", "(you left)",
		"(stopped: mail to this address bounced)", "Leave every list"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("GET: %d, the page lacks %q:\n%s", code, want, body)
		}
	}
	if strings.Contains(body, `value="reported"`) || strings.Contains(body, `value="bounced"`) {
		t.Fatalf("a list the address is not mailed on can be left:\n%s", body)
	}
	if statusOf("news") != store.Active {
		t.Fatal("GET changed a membership")
	}

	code, body, _ = e.do("POST", "/u/"+tok+"/preferences", strings.NewReader("leave=news&leave=reported"), "Content-Type", form)
	if code != 200 || !strings.Contains(body, "You left The news.") {
		t.Fatalf("leave news: %d\n%s", code, body)
	}
	if statusOf("news") != store.Unsubscribed || statusOf("reported") != store.Complained || statusOf("bpf-updates") != store.Active {
		t.Fatalf("after leaving news: news %s, reported %s, bpf-updates %s", statusOf("news"), statusOf("reported"), statusOf("bpf-updates"))
	}
	log, _ := e.db.AuditLog(ctx, listOf(t, e.db, "news"), "ann@example.org")
	if last := log[len(log)-1]; last.Source != store.SourceWeb || !strings.Contains(last.Reason, "preference page") {
		t.Fatalf("audit %+v", last)
	}

	bad := tok[:len(tok)-2] + "aa"
	if code, _, _ := e.do("POST", "/u/"+bad+"/preferences", strings.NewReader("all=1"), "Content-Type", form); code != 400 || statusOf("bpf-updates") != store.Active {
		t.Fatalf("tampered link: %d, bpf-updates %s", code, statusOf("bpf-updates"))
	}

	code, body, _ = e.do("POST", "/u/"+tok+"/preferences", strings.NewReader(url.Values{"all": {"1"}}.Encode()), "Content-Type", form)
	if code != 200 || !strings.Contains(body, "You left BPF updates, The pending-one.") || !strings.Contains(body, "You get no mail from any of them.") {
		t.Fatalf("leave all: %d\n%s", code, body)
	}
	want := map[string]store.Status{"bpf-updates": store.Unsubscribed, "news": store.Unsubscribed, "pending-one": store.Unsubscribed,
		"reported": store.Complained, "left-before": store.Unsubscribed, "bounced": store.Bounced}
	for list, st := range want {
		if got := statusOf(list); got != st {
			t.Errorf("after leaving all: %s is %s, want %s", list, got, st)
		}
	}
	if code, _, _ := e.do("POST", "/u/"+tok+"/preferences", strings.NewReader("all=1"), "Content-Type", form); code != 200 {
		t.Fatalf("leaving all again: %d", code)
	}
}
