package optin_test

import (
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/optin"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// leaving is one way a member stops being mailed, applied to addr.
type leaving struct {
	name string
	// undo: the old link may make the member active again at once.
	undo  bool
	leave func(e *env, addr string)
}

func tokenLeave(e *env, addr string) {
	e.t.Helper()
	if _, err := e.subs.Leave(e.ctx, optin.Link{Token: e.tokenOf("bpf-updates", addr)},
		store.Evidence{Source: store.SourceWeb, Reason: "unsubscribe page"}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) move(addr string, to store.Status, ev store.Evidence) {
	e.t.Helper()
	a, _ := address.Parse(addr)
	if _, err := e.db.SetStatus(e.ctx, e.list, a, to, ev); err != nil {
		e.t.Fatal(err)
	}
}

var leavings = []leaving{
	{"left by its link just now", true, tokenLeave},
	{"left by its link, clicked again after 6 days", true, func(e *env, addr string) {
		tokenLeave(e, addr)
		e.now = e.now.Add(6 * 24 * time.Hour)
	}},
	{"left by its link 8 days ago", false, func(e *env, addr string) {
		tokenLeave(e, addr)
		e.now = e.now.Add(8 * 24 * time.Hour)
	}},
	{"removed by an owner", false, func(e *env, addr string) {
		if _, err := optin.NewOwners(e.db).Remove(e.ctx, e.list, []string{addr}, store.Evidence{Source: store.SourceAdmin,
			Reason: "removed by an owner"}); err != nil {
			e.t.Fatal(err)
		}
	}},
	{"removed by an owner who typed the link's mark as reason", false, func(e *env, addr string) {
		e.move(addr, store.Unsubscribed, store.Evidence{Source: store.SourceAdmin, Reason: "x [by the signed unsubscribe link]"})
	}},
	{"left by its link, then removed by an owner after rejoining", false, func(e *env, addr string) {
		tokenLeave(e, addr)
		e.move(addr, store.Active, store.Evidence{Source: store.SourceAdmin})
		e.move(addr, store.Unsubscribed, store.Evidence{Source: store.SourceAdmin, Reason: "removed"})
	}},
	{"imported as unsubscribed", false, func(e *env, addr string) {
		e.move(addr, store.Unsubscribed, store.Evidence{Source: store.SourceImport, Reason: "import"})
	}},
	{"unsubscribed by a confirmed mail command", false, func(e *env, addr string) {
		a, _ := address.Parse(addr)
		if _, err := e.subs.Unsubscribe(e.ctx, e.list, a, self(store.BudgetMail)); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.subs.Confirm(e.ctx, e.codeSentTo(addr), store.Evidence{Source: store.SourceEmail}); err != nil {
			e.t.Fatal(err)
		}
	}},
	{"bounced", false, func(e *env, addr string) { e.move(addr, store.Bounced, store.Evidence{Source: store.SourceEmail}) }},
	{"bounced, then left by its link", false, func(e *env, addr string) {
		e.move(addr, store.Bounced, store.Evidence{Source: store.SourceEmail})
		tokenLeave(e, addr)
	}},
	{"disabled by an owner", false, func(e *env, addr string) { e.move(addr, store.Disabled, store.Evidence{Source: store.SourceAdmin}) }},
	{"complained", false, func(e *env, addr string) { e.move(addr, store.Complained, store.Evidence{Source: store.SourceEmail}) }},
	{"complained, then clicked the link", false, func(e *env, addr string) {
		e.move(addr, store.Complained, store.Evidence{Source: store.SourceEmail})
		// The store keeps the complaint (a Conflict): nothing to undo.
		e.subs.Leave(e.ctx, optin.Link{Token: e.tokenOf("bpf-updates", addr)}, store.Evidence{Source: store.SourceWeb})
	}},
}

// TestOldLinkUndoesOnlyItsOwnUnsubscribe: every way of leaving x the
// resubscribe of the old link, on every policy. Only an unsubscribe made
// with that link, from active, within the window, is undone at once; no
// other way back is active, and none is active after confirming either
// where the member's mail was stopped (bounced, disabled, complained).
func TestOldLinkUndoesOnlyItsOwnUnsubscribe(t *testing.T) {
	for _, policy := range []store.Policy{store.PolicyConfirm, store.PolicyOpen, store.PolicyClosed} {
		for _, c := range leavings {
			e := newEnv(t, testwire.Options{})
			e.db.UpdateList(e.ctx, "bpf-updates", store.ListSettings{Policy: &policy})
			addr := "carol@example.org"
			e.set(addr, store.Active)
			tok := e.tokenOf("bpf-updates", addr)
			c.leave(e, addr)
			before, mailed := e.status(addr), e.srv.ByRecipient()[addr]
			l, m, err := e.subs.Holder(e.ctx, optin.Link{Token: tok})
			if err != nil {
				t.Fatalf("%s, %s: holder: %v", policy, c.name, err)
			}
			out, err := e.subs.Resubscribe(e.ctx, l, m, optin.Request{Requester: "the unsubscribe page (IP address 192.0.2.1)",
				Budget: store.BudgetWeb, Evidence: store.Evidence{Source: store.SourceWeb, Reason: "resubscribe"}})
			if err != nil {
				t.Fatalf("%s, %s: %v", policy, c.name, err)
			}
			got := e.status(addr)
			if c.undo != (got == store.Active) || (c.undo && out.Kind != optin.SubscribedNow) {
				t.Fatalf("%s, %s: %s -> %s (%s), undo wanted: %v", policy, c.name, before, got, out.Kind, c.undo)
			}
			if c.undo {
				continue
			}
			if got != before && got != store.Pending {
				t.Fatalf("%s, %s: %s became %s", policy, c.name, before, got)
			}
			e.confirmAnySent(t, policy, c.name, addr, before, mailed)
		}
	}
}

// confirmAnySent answers a confirmation the resubscribe sent: a member
// whose mail was stopped must not get one at all.
func (e *env) confirmAnySent(t *testing.T, policy store.Policy, name, addr string, before store.Status, mailed int) {
	sent := e.srv.ByRecipient()[addr] - mailed
	stopped := before == store.Bounced || before == store.Disabled || before == store.Complained
	if stopped && sent > 0 {
		t.Fatalf("%s, %s: a %s member was sent %d confirmation(s)", policy, name, before, sent)
	}
	if sent == 0 {
		return
	}
	if _, err := e.subs.Confirm(e.ctx, e.codeSentTo(addr), store.Evidence{Source: store.SourceWeb}); err != nil {
		t.Fatalf("%s, %s: confirming: %v", policy, name, err)
	}
	if st := e.status(addr); st != store.Active {
		t.Fatalf("%s, %s: confirmed, but %s", policy, name, st)
	}
}
