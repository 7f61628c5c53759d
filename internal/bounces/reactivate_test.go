package bounces_test

import (
	"context"
	"errors"
	"testing"

	"mailer/internal/bounces"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// stopped makes addr a member of news that bounces stopped, score 1.
func (e *env) stopped(addr string) {
	e.t.Helper()
	e.join("news", addr, store.Active)
	if up, err := e.svc.Refusal(e.ctx, listOf(e.t, e.db, "news"), addr, "550 5.1.1 gone"); err != nil || !up.Disabled {
		e.t.Fatalf("refusal: %+v %v", up, err)
	}
}

func TestReactivateClearsScoreAndStatus(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 1, Window: 7 * day})
	e.stopped("alice@example.org")
	e.join("news", "dave@example.org", store.Active)
	e.join("news", "dave@example.org", store.Disabled)
	ev := store.Evidence{Source: store.SourceAdmin, Reason: "reactivated", Operator: "test"}
	for _, addr := range []string{"Alice@Example.org", "dave@example.org"} {
		m, err := bounces.Reactivate(e.ctx, e.db, listOf(t, e.db, "news"), addr, ev)
		if err != nil {
			t.Fatalf("Reactivate(%s): %v", addr, err)
		}
		if m.Address != "alice@example.org" && m.Address != "dave@example.org" {
			t.Fatalf("reactivated %q", m.Address)
		}
		if now := e.member("news", m.Address); now.Status != store.Active {
			t.Fatalf("%s is %s", m.Address, now.Status)
		}
	}
	if rows, err := bounces.Listing(e.ctx, e.db, nil); err != nil || len(rows) != 0 {
		t.Fatalf("still listed: %+v %v", rows, err)
	}
	log, _ := e.db.AuditLog(e.ctx, listOf(t, e.db, "news"), "alice@example.org")
	if last := log[len(log)-1]; last.OldStatus != store.Bounced || last.NewStatus != store.Active || last.Reason != "reactivated" {
		t.Fatalf("audit %+v", last)
	}
}

// Only a member whose mail was stopped is reactivated: the others are
// refused and keep their status and score.
func TestReactivateRefusesOtherMembers(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 5, Window: 7 * day})
	l := listOf(t, e.db, "news")
	for _, st := range []store.Status{store.Active, store.Pending, store.Unsubscribed} {
		addr := string(st) + "@example.org"
		e.join("news", addr, store.Active)
		if _, err := e.svc.Refusal(e.ctx, l, addr, "550 gone"); err != nil {
			t.Fatal(err)
		}
		if st == store.Pending {
			e.join("news", addr, store.Unsubscribed)
		}
		if st != store.Active {
			e.join("news", addr, st)
		}
		_, err := bounces.Reactivate(e.ctx, e.db, l, addr, admin)
		if fault.CodeOf(err) != fault.Conflict {
			t.Fatalf("%s: %v, want a conflict", st, err)
		}
		if m := e.member("news", addr); m.Status != st || e.score("news", addr) != 1 {
			t.Fatalf("%s: now %s, score %.1f", st, m.Status, e.score("news", addr))
		}
	}
	if _, err := bounces.Reactivate(e.ctx, e.db, l, "nobody@example.org", admin); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("a stranger: %v", err)
	}
	if _, err := bounces.Reactivate(e.ctx, e.db, l, "not an address", admin); err == nil {
		t.Fatal("a bad address was reactivated")
	}
}

// rollbackAfter runs a workflow's steps on the real store, then fails the
// transaction as if the last step had: none of the steps may remain.
type rollbackAfter struct{ db *store.DB }

var errLate = errors.New("the last step failed")

func (r rollbackAfter) Update(ctx context.Context, what string, fn func(tx *store.Tx) error) error {
	return r.db.Update(ctx, what, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errLate
	})
}

func TestReactivateIsOneTransaction(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 1, Window: 7 * day})
	e.stopped("alice@example.org")
	_, err := bounces.Reactivate(e.ctx, rollbackAfter{e.db}, listOf(t, e.db, "news"), "alice@example.org", admin)
	if !errors.Is(err, errLate) {
		t.Fatalf("err %v", err)
	}
	if m := e.member("news", "alice@example.org"); m.Status != store.Bounced || e.score("news", "alice@example.org") != 1 {
		t.Fatalf("half reactivated: %s, score %.1f", m.Status, e.score("news", "alice@example.org"))
	}
}

func TestReactivatable(t *testing.T) {
	for _, st := range store.Statuses {
		if want := st == store.Bounced || st == store.Disabled; bounces.Reactivatable(st) != want {
			t.Errorf("Reactivatable(%s) = %v", st, !want)
		}
	}
}
