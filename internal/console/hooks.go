package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"mailer/internal/auth"
	"mailer/internal/fault"
	"mailer/internal/outhooks"
	"mailer/internal/store"
)

// Pinger sends a hook a ping now, as `mailer hooks test` does
// (outhooks.Dispatcher.Ping): tried once, recorded among its attempts.
type Pinger interface {
	Ping(ctx context.Context, hookID int64) (store.HookAttempt, error)
}

// hookAttempts is how many of each hook's latest attempts /hooks shows,
// as many as `hooks ls`.
const hookAttempts = 5

// hookCard is one hook on /hooks: what `hooks ls` prints (outhooks.View,
// whose Secret the template never names) and whether the principal may
// ping it.
type hookCard struct {
	outhooks.View
	Scope    string // the list, or "every list"
	Events   string
	Attempts []attemptRow
	CanTest  bool
}

// attemptRow is one attempt as `hooks ls` prints it.
type attemptRow struct {
	store.HookAttempt
	Result   string // "HTTP 204", or why no answer came
	OK       bool   // a 2xx answer
	Duration string
}

type hooksData struct {
	Hooks    []hookCard
	CanPing  bool // the console was given a Pinger
	Attempts int
}

// seesHook says whether p may see h: a hook of a list as the list; a hook
// of no list gets every list's events, so only a site admin sees it.
func seesHook(p auth.Principal, h *store.Hook) bool {
	if h.List == "" {
		return p.Admin
	}
	return p.CanSee(h.List)
}

// hooksPage is /hooks: the hooks the principal may see with their queue
// and latest attempts, read by outhooks.List as `mailer hooks ls` reads them.
func (s *Server) hooksPage(w http.ResponseWriter, r *http.Request) {
	all, err := outhooks.List(r.Context(), s.db, hookAttempts)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalOf(r)
	d := hooksData{CanPing: s.o.Hooks != nil, Attempts: hookAttempts}
	for _, v := range all {
		if !seesHook(p, v.Hook) {
			continue
		}
		d.Hooks = append(d.Hooks, cardOf(p, v, d.CanPing))
	}
	s.page(w, r, "hooks", "Webhooks", d)
}

func cardOf(p auth.Principal, v outhooks.View, canPing bool) hookCard {
	c := hookCard{View: v, Scope: v.List, Events: strings.Join(v.Hook.Events, ", "),
		CanTest: canPing && p.CanChange(v.List) == nil}
	if c.Scope == "" {
		c.Scope = "every list"
	}
	for _, a := range v.Attempts {
		row := attemptRow{HookAttempt: a, Result: a.Error, OK: a.Status >= 200 && a.Status < 300,
			Duration: a.Duration.Round(time.Millisecond).String()}
		if a.Status != 0 {
			row.Result = "HTTP " + strconv.Itoa(a.Status)
		}
		c.Attempts = append(c.Attempts, row)
	}
	return c
}

// testHook is POST /hooks/N/test: `mailer hooks test N` in the
// principal's name; a hook unseen answers 404, one seen and not theirs to
// change 403. The attempt is on the page it redirects to.
func (s *Server) testHook(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var h *store.Hook
	if err != nil {
		err = fault.Errorf(fault.NotFound, "no hook %q", r.PathValue("id"))
	} else {
		h, err = s.db.GetHook(r.Context(), id)
	}
	p := principalOf(r)
	if err == nil && !seesHook(p, h) {
		err = fault.Errorf(fault.NotFound, "no hook #%d", id)
	}
	if err == nil {
		err = p.CanChange(h.List)
	}
	if err == nil && s.o.Hooks == nil {
		err = fault.Errorf(fault.Unavailable, "this console cannot send pings")
	}
	var a store.HookAttempt
	if err == nil {
		a, err = s.o.Hooks.Ping(r.Context(), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	done := "ping-failed"
	if a.Error == "" && a.Status >= 200 && a.Status < 300 {
		done = "ping-delivered"
	}
	s.o.Logger.Info("console: hook pinged", "hook", id, "status", a.Status, "operator", p.Operator())
	http.Redirect(w, r, "/hooks?done="+done+"#hook-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
