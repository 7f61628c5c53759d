package store

// An internal test: it reads every row's state straight from the tables,
// to watch which moves the store's SQL makes.

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"mailer/internal/delivery"
)

// pairs checks can over every (from, to) pair of states, from the empty
// state (no row yet) too, against the moves written out in want.
func pairs[S ~string](t *testing.T, kind string, states []S, can func(from, to S) bool, want ...string) {
	t.Helper()
	for _, from := range append([]S{""}, states...) {
		for _, to := range states {
			move := fmt.Sprintf("%s>%s", from, to)
			if got, w := can(from, to), slices.Contains(want, move); got != w {
				t.Errorf("%s %q → %q: allowed = %v, want %v", kind, from, to, got, w)
			}
		}
	}
}

func TestStateMoves(t *testing.T) {
	pairs(t, "send", SendStates, SendState.CanBecome, ">sending", "sending>done", "done>sending")
	pairs(t, "delivery", DeliveryStates, DeliveryState.CanBecome, ">queued",
		"queued>sending", "queued>skipped",
		"sending>sent", "sending>deferred", "sending>failed", "sending>queued",
		"deferred>sending", "deferred>skipped", "failed>queued")
	pairs(t, "schedule", ScheduleStates, ScheduleState.CanBecome, ">scheduled",
		"scheduled>started", "scheduled>cancelled", "scheduled>refused")
	// Membership statuses: staying put is allowed ("no change").
	pairs(t, "membership", Statuses, CanMove, ">pending", ">active",
		"pending>pending", "pending>active", "pending>unsubscribed", "pending>complained",
		"active>active", "active>unsubscribed", "active>bounced", "active>disabled", "active>complained",
		"unsubscribed>unsubscribed", "unsubscribed>pending", "unsubscribed>active", "unsubscribed>complained",
		"bounced>bounced", "bounced>active", "bounced>unsubscribed", "bounced>disabled", "bounced>complained",
		"disabled>disabled", "disabled>active", "disabled>unsubscribed", "disabled>complained",
		"complained>complained", "complained>active")
}

// Every outcome the sender records is a delivery state a row being sent
// may move to: the store writes the outcome as the state.
func TestOutcomesAreDeliveryStates(t *testing.T) {
	for _, o := range []delivery.Outcome{delivery.Sent, delivery.Deferred, delivery.Failed, delivery.Requeue} {
		if !DeliverySending.CanBecome(DeliveryState(o)) {
			t.Errorf("outcome %q is not a move of a delivery being sent", o)
		}
	}
}

// The schema stores every state (its CHECKs accept them) and no other.
func TestStatesAreTheSchemas(t *testing.T) {
	ctx := context.Background()
	w := newWatch(t)
	w.step("start", func() error { _, err := w.db.StartSend(ctx, w.newSend()); return err })
	_, err := w.db.ScheduleSend(ctx, Schedule{Issue: "issue-01", ListID: w.list.ID, DueAt: w.db.Now()}, false)
	if err != nil {
		t.Fatal(err)
	}
	try := func(table string, states []string) {
		for _, s := range states {
			if _, err := w.db.sql.ExecContext(ctx, `UPDATE `+table+` SET state = ?`, s); err != nil {
				t.Errorf("%s: state %q refused: %v", table, s, err)
			}
		}
		if _, err := w.db.sql.ExecContext(ctx, `UPDATE `+table+` SET state = 'bogus'`); err == nil {
			t.Errorf("%s: a state not in the schema was stored", table)
		}
	}
	try("sends", strs(SendStates))
	try("deliveries", strs(DeliveryStates))
	try("schedules", strs(ScheduleStates))
}

func strs[S ~string](states []S) []string {
	var out []string
	for _, s := range states {
		out = append(out, string(s))
	}
	return out
}
