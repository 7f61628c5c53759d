package bounces_test

import (
	"strings"
	"testing"
	"time"

	"mailer/internal/bounce"
	"mailer/internal/store"
)

const day = 24 * time.Hour

// A hard bounce that reaches the threshold stops mail to the member, says
// why in the audit log, keeps the message and tells the owners.
func TestHardBounceOverThresholdStopsMail(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 1, Window: 7 * day})
	e.join("news", "alice@example.org", store.Active)
	out, detail := e.bounceMail("news", "alice@example.org", "dsn-postfix-hard.eml")
	if len(out) != 1 || out[0].Kind != bounce.Hard || !out[0].Update.Disabled || out[0].Update.Score != 1 {
		t.Fatalf("scored %+v", out)
	}
	if want := "alice@example.org hard bounce, score 1.0; mail stopped"; detail != want {
		t.Fatalf("detail %q, want %q", detail, want)
	}
	if m := e.member("news", "alice@example.org"); m.Status != store.Bounced {
		t.Fatalf("status %s", m.Status)
	}
	log, err := e.db.AuditLog(e.ctx, listOf(t, e.db, "news"), "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	last := log[len(log)-1]
	if last.NewStatus != store.Bounced || last.Operator != "bounce processing" || !strings.Contains(last.Reason, "5.1.1") {
		t.Fatalf("audit %+v", last)
	}
	if n, _ := e.db.CountBounces(e.ctx, "alice@example.org"); n != 1 {
		t.Fatalf("%d bounces kept", n)
	}
	if got := e.srv.ByRecipient(); got[owners[0]] != 1 || got[owners[1]] != 1 || len(got) != 2 {
		t.Fatalf("notices %v", got)
	}
}

// Soft bounces count 0.5, at most one a day, and a score older than the
// window starts over (store.BouncePolicy).
func TestSoftBouncesAddUpWithinTheWindow(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 1.5, Window: 3 * day})
	e.join("news", "bob@example.com", store.Active)
	steps := []struct {
		after time.Duration
		score float64
	}{
		{0, 0.5},
		{time.Hour, 0.5}, // the same day: not counted again
		{day, 1},
		{4 * day, 0.5}, // past the window: starts over
		{day, 1},
	}
	for i, s := range steps {
		e.now = e.now.Add(s.after)
		out, _ := e.bounceMail("news", "bob@example.com", "dsn-mailbox-full.eml")
		if len(out) != 1 || out[0].Kind != bounce.Soft || out[0].Update.Score != s.score || out[0].Update.Disabled {
			t.Fatalf("step %d: %+v", i, out)
		}
	}
	if m := e.member("news", "bob@example.com"); m.Status != store.Active {
		t.Fatalf("below the threshold, status %s", m.Status)
	}
	e.now = e.now.Add(day)
	if out, _ := e.bounceMail("news", "bob@example.com", "dsn-mailbox-full.eml"); !out[0].Update.Disabled || out[0].Update.Score != 1.5 {
		t.Fatalf("at the threshold: %+v", out)
	}
	if m := e.member("news", "bob@example.com"); m.Status != store.Bounced {
		t.Fatalf("at the threshold, status %s", m.Status)
	}
}

// A bounce about somebody who is not a member, or about a member of
// another list, changes nobody and tells nobody.
func TestBounceOfAStrangerChangesNothing(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 1, Window: 7 * day})
	e.join("news", "alice@example.org", store.Active)
	out, detail := e.bounceMail("news", "carol@example.org", "dsn-postfix-hard.eml")
	if len(out) != 1 || out[0].Update.Member || out[0].Update.Counted {
		t.Fatalf("scored %+v", out)
	}
	if want := "carol@example.org is not a member of news"; detail != want {
		t.Fatalf("detail %q, want %q", detail, want)
	}
	// alice on other, not on news: her news membership is not touched.
	if out, _ := e.bounceMail("other", "alice@example.org", "dsn-postfix-hard.eml"); out[0].Update.Member {
		t.Fatalf("scored on other: %+v", out)
	}
	if m := e.member("news", "alice@example.org"); m.Status != store.Active || e.score("news", "alice@example.org") != 0 {
		t.Fatalf("news member changed: %s, score %.1f", m.Status, e.score("news", "alice@example.org"))
	}
	if rows, _ := e.db.Bounces(e.ctx, nil); len(rows) != 0 {
		t.Fatalf("listed %+v", rows)
	}
	if n := len(e.srv.Messages()); n != 0 {
		t.Fatalf("%d notices", n)
	}
}

// A delay warning and an auto-reply to the bounce address are kept and
// counted as nothing.
func TestDelayAndAutoReplyDoNotCount(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 1, Window: 7 * day})
	e.join("news", "alice@example.org", store.Active)
	for file, want := range map[string]string{"dsn-delayed.eml": "delivery delayed", "vacation.eml": "auto-reply"} {
		out, detail := e.bounceMail("news", "alice@example.org", file)
		if len(out) != 0 || !strings.Contains(detail, want) {
			t.Fatalf("%s: %+v %q", file, out, detail)
		}
	}
	if e.score("news", "alice@example.org") != 0 {
		t.Fatal("a delay or an auto-reply scored")
	}
	if n, _ := e.db.CountBounces(e.ctx, "alice@example.org"); n != 2 {
		t.Fatalf("%d kept, want 2", n)
	}
}

// A permanent refusal while sending counts as a hard bounce; once it stops
// mail, the member is no longer among those a send mails.
func TestRefusalStopsMailToTheMember(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 2, Window: 7 * day})
	e.join("news", "alice@example.org", store.Active)
	e.join("news", "bob@example.org", store.Active)
	l := listOf(t, e.db, "news")
	for i, disabled := range []bool{false, true} {
		up, err := e.svc.Refusal(e.ctx, l, "alice@example.org", "550 5.1.1 no such user")
		if err != nil || !up.Member || !up.Counted || up.Score != float64(i+1) || up.Disabled != disabled {
			t.Fatalf("refusal %d: %+v %v", i, up, err)
		}
		e.now = e.now.Add(day)
	}
	rows, err := e.db.Bounces(e.ctx, l)
	if err != nil || len(rows) != 1 || rows[0].LastReason != "refused when sending: 550 5.1.1 no such user" {
		t.Fatalf("listed %+v %v", rows, err)
	}
	var active []string
	for m, err := range e.db.Members(e.ctx, l, store.Active) {
		if err != nil {
			t.Fatal(err)
		}
		active = append(active, m.Address)
	}
	if len(active) != 1 || active[0] != "bob@example.org" {
		t.Fatalf("a send mails %v", active)
	}
}
