package optin_test

import (
	"fmt"
	"testing"

	"mailer/internal/address"
	"mailer/internal/optin"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// states puts carol@example.org in every state a stranger could probe for.
var states = map[string]func(e *env){
	"never a member": func(*env) {},
	"pending":        func(e *env) { e.set("carol@example.org", store.Pending) },
	"pending, confirmation just sent": func(e *env) {
		a, _ := address.Parse("carol@example.org")
		e.subs.Subscribe(e.ctx, e.list, a, self(store.BudgetMail))
	},
	"active":       func(e *env) { e.set("carol@example.org", store.Active) },
	"unsubscribed": func(e *env) { e.set("carol@example.org", store.Active); e.set("carol@example.org", store.Unsubscribed) },
	"bounced":      func(e *env) { e.set("carol@example.org", store.Active); e.set("carol@example.org", store.Bounced) },
	"disabled":     func(e *env) { e.set("carol@example.org", store.Active); e.set("carol@example.org", store.Disabled) },
	"unsubscribe confirmation just sent": func(e *env) {
		e.set("carol@example.org", store.Active)
		a, _ := address.Parse("carol@example.org")
		e.subs.Unsubscribe(e.ctx, e.list, a, self(store.BudgetMail))
	},
}

func stranger(budget string) optin.Request {
	return optin.Request{Requester: "mallory@example.net", Budget: budget, Evidence: store.Evidence{Source: store.SourceEmail}}
}

// TestAnswersAboutOthersAreAlike: a request about someone else's address
// gets the same answer whatever that address's state, by mail and on the
// web, with room in the caps and without; the address itself is told the
// truth.
func TestAnswersAboutOthersAreAlike(t *testing.T) {
	for _, budget := range []string{store.BudgetMail, store.BudgetWeb} {
		for _, capped := range []bool{false, true} {
			answers := map[string]string{}
			truths := map[string]bool{}
			for name, setup := range states {
				o := testwire.Options{}
				if capped {
					o.PerAddressHour = 1 // carol has had her mail for this hour once the state is set up
				}
				e := newEnv(t, o)
				setup(e)
				if capped {
					e.db.RecordReply(e.ctx, "carol@example.org", budget)
				}
				a, _ := address.Parse("carol@example.org")
				sub, err1 := e.subs.Subscribe(e.ctx, e.list, a, stranger(budget))
				unsub, err2 := e.subs.Unsubscribe(e.ctx, e.list, a, stranger(budget))
				if err1 != nil || err2 != nil {
					t.Fatalf("%s: %v %v", name, err1, err2)
				}
				answers[name] = fmt.Sprintf("%+v / %+v", sub, unsub)
				truth, _ := e.subs.Subscribe(e.ctx, e.list, a, self(budget))
				truths[string(truth.Kind)] = true
			}
			var first string
			for name, a := range answers {
				if first == "" {
					first = a
				}
				if a != first {
					t.Errorf("budget %s, capped %v: %q is told %s, another state %s", budget, capped, name, a, first)
				}
			}
			if !capped && len(truths) < 3 {
				t.Errorf("budget %s: the address itself is told only %v", budget, truths)
			}
		}
	}
}

// TestStoppedMemberDoesNotReviveItself: a member stopped by bounces (or an
// owner) that leaves with its token and asks to come back through the same
// token is sent a confirmation, not made active; a reader who left by
// mistake is back at once.
func TestStoppedMemberDoesNotReviveItself(t *testing.T) {
	for _, stop := range []store.Status{store.Bounced, store.Disabled} {
		e := newEnv(t, testwire.Options{})
		e.set("carol@example.org", store.Active)
		if stop == store.Bounced {
			if _, err := e.db.RecordBounce(e.ctx, listOf(e.t, e.db, "bpf-updates"), "carol@example.org", true, "550 no such user",
				store.BouncePolicy{Threshold: 1, Window: 24 * 3600e9}); err != nil {
				t.Fatal(err)
			}
		} else {
			e.set("carol@example.org", store.Disabled)
		}
		if e.status("carol@example.org") != stop {
			t.Fatalf("setup: %q", e.status("carol@example.org"))
		}
		e.set("carol@example.org", store.Unsubscribed) // her token on the unsubscribe page
		m, _ := e.db.GetMember(e.ctx, listOf(e.t, e.db, "bpf-updates"), "carol@example.org")
		out, err := e.subs.Resubscribe(e.ctx, e.list, m, self(store.BudgetWeb))
		if err != nil || out.Kind != optin.ConfirmationSent || e.status("carol@example.org") == store.Active {
			t.Fatalf("%s: resubscribe: %+v %v, status %q", stop, out, err, e.status("carol@example.org"))
		}
		// A new subscription she confirms herself is what may bring her back.
		if _, err := e.subs.Confirm(e.ctx, e.codeSentTo("carol@example.org"), store.Evidence{Source: store.SourceWeb}); err != nil ||
			e.status("carol@example.org") != store.Active {
			t.Fatalf("%s: confirm: %v %q", stop, err, e.status("carol@example.org"))
		}
		// While still stopped, the token cannot bring her back either.
		e.set("carol@example.org", stop)
		m, _ = e.db.GetMember(e.ctx, listOf(e.t, e.db, "bpf-updates"), "carol@example.org")
		if out, err := e.subs.Resubscribe(e.ctx, e.list, m, self(store.BudgetWeb)); err != nil || out.Kind != optin.Blocked {
			t.Fatalf("%s: resubscribe while stopped: %+v %v", stop, out, err)
		}
	}
	e := newEnv(t, testwire.Options{})
	e.set("dan@example.org", store.Active)
	tokenLeave(e, "dan@example.org") // with the link the resubscribe comes back by
	m, _ := e.db.GetMember(e.ctx, listOf(e.t, e.db, "bpf-updates"), "dan@example.org")
	if out, err := e.subs.Resubscribe(e.ctx, e.list, m, self(store.BudgetWeb)); err != nil || out.Kind != optin.SubscribedNow ||
		e.status("dan@example.org") != store.Active {
		t.Fatalf("left by mistake: %+v %v %q", out, err, e.status("dan@example.org"))
	}
}

// TestWebHasItsOwnBudget: a form filled until its hourly budget is gone
// says so honestly, sends nothing and changes nothing, and requests by
// mail still go out.
func TestWebHasItsOwnBudget(t *testing.T) {
	e := newEnv(t, testwire.Options{WebPerHour: 3, MailPerHour: 100})
	for i := range 3 {
		a, _ := address.Parse(fmt.Sprintf("bot%d@example.net", i))
		if out, err := e.subs.Subscribe(e.ctx, e.list, a, stranger(store.BudgetWeb)); err != nil || out.Kind != optin.SubscribeRequested {
			t.Fatalf("web %d: %+v %v", i, out, err)
		}
	}
	a, _ := address.Parse("late@example.org")
	out, err := e.subs.Subscribe(e.ctx, e.list, a, stranger(store.BudgetWeb))
	if err != nil || out.Kind != optin.CannotSend || e.status("late@example.org") != "" || e.srv.ByRecipient()["late@example.org"] != 0 {
		t.Fatalf("over the web budget: %+v %v, status %q", out, err, e.status("late@example.org"))
	}
	if out, err := e.subs.Subscribe(e.ctx, e.list, a, self(store.BudgetMail)); err != nil || out.Kind != optin.ConfirmationSent {
		t.Fatalf("by mail: %+v %v", out, err)
	}
	// An hour later the form works again.
	e.now = e.now.Add(61 * 60e9)
	b, _ := address.Parse("next@example.org")
	if out, err := e.subs.Subscribe(e.ctx, e.list, b, stranger(store.BudgetWeb)); err != nil || out.Kind != optin.SubscribeRequested ||
		e.srv.ByRecipient()["next@example.org"] != 1 {
		t.Fatalf("an hour later: %+v %v", out, err)
	}
}
