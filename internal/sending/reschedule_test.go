package sending_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"mailer/internal/fault"
	"mailer/internal/sending"
	"mailer/internal/store"
)

// A second schedule of the same issue to the same list is refused with
// both times and changes nothing; with Replace it takes the first one's
// place and names it; ScheduleNow follows the same rule.
func TestScheduleTwiceNeedsReplace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 2)
	first, second := e.clock().Add(time.Hour), e.clock().Add(3*time.Hour)
	sc, err := e.mustPlan(sending.PlanOptions{}).Schedule(ctx, first, ann)
	if err != nil || sc.Replaced != nil {
		t.Fatalf("first schedule: %+v, %v", sc, err)
	}
	_, err = e.mustPlan(sending.PlanOptions{}).Schedule(ctx, second, ann)
	var se *store.ScheduledError
	if fault.CodeOf(err) != fault.Conflict || !errors.As(err, &se) || se.Existing.ID != sc.ID || !se.Existing.DueAt.Equal(first) || !se.Asked.Equal(second) {
		t.Fatalf("second schedule without replace: %v, want a conflict naming #%d", err, sc.ID)
	}
	msg := fault.MessageOf(err)
	for _, want := range []string{first.UTC().Format("2006-01-02 15:04"), second.UTC().Format("2006-01-02 15:04"), "--replace"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q does not say %q", msg, want)
		}
	}
	if _, err := e.mustPlan(sending.PlanOptions{}).ScheduleNow(ctx, ann); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("schedule now without replace: %v, want a conflict", err)
	}
	if l, err := sending.Sends(ctx, e.db, false); err != nil || len(l.Scheduled) != 1 || !l.Scheduled[0].DueAt.Equal(first) {
		t.Fatalf("after the refusals: %+v, %v, want the first schedule alone", l, err)
	}
	nsc, err := e.mustPlan(sending.PlanOptions{Replace: true}).Schedule(ctx, second, ann)
	if err != nil || nsc.Replaced == nil || nsc.Replaced.ID != sc.ID || !nsc.Replaced.DueAt.Equal(first) || !nsc.DueAt.Equal(second) {
		t.Fatalf("replacing: %+v, %v", nsc, err)
	}
	old, err := e.db.GetSchedule(ctx, sc.ID)
	if err != nil || old.State != store.ScheduleCancelled {
		t.Fatalf("the replaced schedule: %+v, %v, want cancelled", old, err)
	}
	if l, err := sending.Sends(ctx, e.db, false); err != nil || len(l.Scheduled) != 1 || l.Scheduled[0].ID != nsc.ID {
		t.Fatalf("after replacing: %+v, %v, want the new schedule alone", l, err)
	}
	// Once the schedule is no longer waiting, the issue may be scheduled
	// again without replace.
	if err := sending.CancelSchedule(ctx, e.db, nsc.ID, ann); err != nil {
		t.Fatal(err)
	}
	if sc, err := e.mustPlan(sending.PlanOptions{}).ScheduleNow(ctx, ann); err != nil || sc.Replaced != nil {
		t.Fatalf("after a cancel: %+v, %v", sc, err)
	}
}
