package optin_test

import (
	"errors"
	"strings"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/optin"
	"mailer/internal/store"
	"mailer/internal/testwire"
	"mailer/internal/token"
)

// tokenOf is the signed unsubscribe token of addr's membership of list.
func (e *env) tokenOf(list, addr string) string {
	e.t.Helper()
	l := listOf(e.t, e.db, list)
	m, err := e.db.GetMember(e.ctx, l, addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.w.Signer.Make(token.Membership{ListID: l.ID, SubscriberID: m.SubscriberID})
}

// tamper changes a token's last letter.
func tamper(tok string) string {
	return tok[:len(tok)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(tok, "a")]
}

func (e *env) auditLen(addr string) int {
	e.t.Helper()
	log, err := e.db.AuditLog(e.ctx, listOf(e.t, e.db, "bpf-updates"), addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(log)
}

// TestLeaveRefusals: a token that is not ours, names no member, or comes
// to another list's address changes nothing and says which it was.
func TestLeaveRefusals(t *testing.T) {
	e := newEnv(t, testwire.Options{})
	e.set("carol@example.org", store.Active)
	other := "ebpf-news"
	if _, err := e.db.CreateList(e.ctx, other, store.ListSettings{}); err != nil {
		t.Fatal(err)
	}
	tok := e.tokenOf("bpf-updates", "carol@example.org")
	ghost := e.w.Signer.Make(token.Membership{ListID: e.list.ID, SubscriberID: 9999})
	for _, c := range []struct {
		name string
		link optin.Link
		want optin.Refusal
		code fault.Code
	}{
		{"tampered", optin.Link{Token: tamper(tok)}, optin.BadToken, fault.Invalid},
		{"not a token", optin.Link{Token: "not-a-token"}, optin.BadToken, fault.Invalid},
		{"empty", optin.Link{}, optin.BadToken, fault.Invalid},
		{"unknown member", optin.Link{Token: ghost}, optin.NoMember, fault.NotFound},
		{"another list's address", optin.Link{Token: tok, List: other}, optin.OtherList, fault.NotFound},
	} {
		left, err := e.subs.Leave(e.ctx, c.link, store.Evidence{Source: store.SourceWeb, Reason: "test"})
		if !errors.Is(err, c.want) || fault.CodeOf(err) != c.code || left.Member != nil {
			t.Errorf("%s: %+v %v, want %q (%s)", c.name, left, err, c.want, c.code)
		}
		if _, _, err := e.subs.Holder(e.ctx, c.link); !errors.Is(err, c.want) {
			t.Errorf("%s: Holder: %v, want %q", c.name, err, c.want)
		}
	}
	if e.status("carol@example.org") != store.Active || e.auditLen("carol@example.org") != 1 {
		t.Fatalf("a refused token changed carol: %q, %d audit rows", e.status("carol@example.org"), e.auditLen("carol@example.org"))
	}
}

// TestLeaveOnceThenAlready: the token leaves at once, on the record; used
// again (a second click, an MTA's retry) it is told so and writes nothing.
func TestLeaveOnceThenAlready(t *testing.T) {
	e := newEnv(t, testwire.Options{})
	e.set("carol@example.org", store.Active)
	tok := e.tokenOf("bpf-updates", "carol@example.org")
	ev := store.Evidence{Source: store.SourceEmail, MessageID: "<m1@example.org>", Reason: "List-Unsubscribe mailto"}
	for i, already := range []bool{false, true, true} {
		left, err := e.subs.Leave(e.ctx, optin.Link{Token: tok, List: "bpf-updates"}, ev)
		if err != nil || left.Already != already || left.List.Name != "bpf-updates" || left.Address.String() != "carol@example.org" {
			t.Fatalf("use %d: %+v %v", i, left, err)
		}
	}
	log, _ := e.db.AuditLog(e.ctx, e.list, "carol@example.org")
	if len(log) != 2 || e.status("carol@example.org") != store.Unsubscribed {
		t.Fatalf("status %q, audit %+v", e.status("carol@example.org"), log)
	}
	if last := log[1]; last.NewStatus != store.Unsubscribed || last.Source != store.SourceEmail ||
		last.MessageID != ev.MessageID || !strings.HasPrefix(last.Reason, ev.Reason) {
		t.Fatalf("audit entry %+v", last)
	}
	// The page still finds the member who left, to offer coming back.
	if _, m, err := e.subs.Holder(e.ctx, optin.Link{Token: tok}); err != nil || m.Status != store.Unsubscribed {
		t.Fatalf("Holder after leaving: %+v %v", m, err)
	}
}
