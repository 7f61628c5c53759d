package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A second schedule of an issue from the form is refused with both times
// (409, the form back with the replace box) and changes nothing; with the
// box ticked it replaces the first, and the sends page says so.
func TestScheduleTwiceNeedsReplace(t *testing.T) {
	e := newEnv(t)
	e.issue("issue-07", "bpf-updates", "Seven things", "The *seventh* issue.")
	cookie := e.login(alice)
	csrf := e.csrf(cookie)
	first := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
	second := first.Add(3 * time.Hour)
	form := func(at time.Time, replace bool) url.Values {
		v := url.Values{"issue": {"issue-07"}, "at": {at.Format("2006-01-02T15:04")}, "csrf": {csrf}}
		if replace {
			v.Set("replace", "1")
		}
		return v
	}
	if a := e.post("/schedule", cookie, form(first, false)); a.status != http.StatusSeeOther {
		t.Fatalf("first schedule: %d\n%s", a.status, a.body)
	}
	a := e.post("/schedule", cookie, form(second, false))
	if a.status != http.StatusConflict || !strings.Contains(a.body, "already scheduled") || !strings.Contains(a.body, first.Format("2006-01-02 15:04 UTC")) ||
		!strings.Contains(a.body, second.Format("2006-01-02 15:04 UTC")) || !strings.Contains(a.body, `name="replace"`) {
		t.Fatalf("second schedule without replace: %d\n%s", a.status, a.body)
	}
	scheds, err := e.db.Schedules(context.Background(), false)
	if err != nil || len(scheds) != 1 || !scheds[0].DueAt.Equal(first) {
		t.Fatalf("after the refusal: %+v, %v", scheds, err)
	}
	a = e.post("/schedule", cookie, form(second, true))
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/sends?done=rescheduled" {
		t.Fatalf("replace: %d %q\n%s", a.status, a.header.Get("Location"), a.body)
	}
	scheds, err = e.db.Schedules(context.Background(), false)
	if err != nil || len(scheds) != 1 || !scheds[0].DueAt.Equal(second) {
		t.Fatalf("after replacing: %+v, %v", scheds, err)
	}
	if page := e.get("/sends?done=rescheduled", cookie); !strings.Contains(page.body, "in place of the issue") {
		t.Errorf("sends page does not say the schedule was replaced:\n%s", page.body)
	}
}
