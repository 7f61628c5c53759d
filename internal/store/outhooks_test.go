package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"mailer/internal/fault"
	"mailer/internal/store"
)

type hookPayload struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      struct {
		List      string `json:"list"`
		Address   string `json:"address"`
		Status    string `json:"status"`
		OldStatus string `json:"old_status"`
		Source    string `json:"source"`
		ID        int64  `json:"id"`
		Issue     string `json:"issue"`
		Total     int    `json:"total"`
		Counts    map[string]int
	} `json:"data"`
}

func mustHook(t *testing.T, db *store.DB, l *store.List, events ...string) *store.Hook {
	t.Helper()
	h, err := db.CreateHook(context.Background(), store.NewHook{URL: "http://127.0.0.1:1/hook", Secret: "whsec_x", Events: events, List: l})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func hookEvents(t *testing.T, db *store.DB, h *store.Hook) []*store.HookEvent {
	t.Helper()
	evs, err := db.HookEvents(context.Background(), h.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func payloadOf(t *testing.T, e *store.HookEvent) hookPayload {
	t.Helper()
	var p hookPayload
	if err := json.Unmarshal([]byte(e.Payload), &p); err != nil {
		t.Fatalf("payload %q: %v", e.Payload, err)
	}
	return p
}

// TestHookEventsFromMembershipChanges: the triggers queue an event for each
// change a hook asked for, on its list only, in the change's transaction;
// a newer event for the member supersedes the queued older one.
func TestHookEventsFromMembershipChanges(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	news, other := mustList(t, db, "news"), mustList(t, db, "other")
	all := mustHook(t, db, nil, "subscribed", "unsubscribed")
	onOther := mustHook(t, db, other, "subscribed")
	bounced := mustHook(t, db, news, "bounced")
	ann := mustAddr(t, "Ann@Example.org")
	db.SetStatus(ctx, news, mustAddr(t, "pending@example.org"), store.Pending, admin)
	if _, err := db.SetStatus(ctx, news, ann, store.Active, store.Evidence{Source: store.SourceWeb}); err != nil {
		t.Fatal(err)
	}
	evs := hookEvents(t, db, all)
	if len(evs) != 1 || evs[0].Type != "subscribed" || evs[0].State != store.HookQueued {
		t.Fatalf("after joining: %+v", evs)
	}
	p := payloadOf(t, evs[0])
	if p.Type != "subscribed" || p.Data.List != "news" || p.Data.Address != "Ann@example.org" || p.Data.Status != "active" ||
		p.Data.OldStatus != "" || p.Data.Source != "web" || p.Timestamp != evs[0].CreatedAt.Format("2006-01-02T15:04:05.000000000Z") {
		t.Fatalf("payload: %+v (%s)", p, evs[0].Payload)
	}
	if n := len(hookEvents(t, db, onOther)) + len(hookEvents(t, db, bounced)); n != 0 {
		t.Fatalf("hooks of another list or event got %d events", n)
	}
	if _, err := db.SetStatus(ctx, news, ann, store.Unsubscribed, store.Evidence{Source: store.SourceEmail}); err != nil {
		t.Fatal(err)
	}
	evs = hookEvents(t, db, all)
	if len(evs) != 2 || evs[0].Type != "unsubscribed" || evs[0].State != store.HookQueued || evs[1].State != store.HookSuperseded {
		t.Fatalf("after leaving: %+v %+v", evs[0], evs[1])
	}
	if p := payloadOf(t, evs[0]); p.Data.OldStatus != "active" || p.Data.Status != "unsubscribed" {
		t.Fatalf("leaving payload: %s", evs[0].Payload)
	}
	// Another member's event supersedes nothing of Ann's.
	db.SetStatus(ctx, news, mustAddr(t, "bob@example.org"), store.Active, admin)
	if evs = hookEvents(t, db, all); len(evs) != 3 || evs[1].State != store.HookQueued {
		t.Fatalf("bob's join touched ann's event: %+v", evs[1])
	}
	h, err := db.GetHook(ctx, all.ID)
	if err != nil || h.Queued != 2 || h.List != "" || len(h.Events) != 2 {
		t.Fatalf("hook: %+v %v", h, err)
	}
}

// TestHookEventsInARolledBackChange: a change that is rolled back leaves
// no event, and a disabled hook gets none.
func TestHookEventsInARolledBackChange(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	news := mustList(t, db, "news")
	h := mustHook(t, db, news, "subscribed")
	off := mustHook(t, db, news, "subscribed")
	if err := db.DisableHook(ctx, off.ID, "410 Gone"); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, "test", func(tx *store.Tx) error {
		if _, err := tx.SetStatus(ctx, news, mustAddr(t, "a@example.org"), store.Active, admin); err != nil {
			return err
		}
		return fault.Errorf(fault.Conflict, "no")
	})
	if err == nil || len(hookEvents(t, db, h)) != 0 {
		t.Fatalf("rolled back: %v, %d events", err, len(hookEvents(t, db, h)))
	}
	db.SetStatus(ctx, news, mustAddr(t, "a@example.org"), store.Active, admin)
	if len(hookEvents(t, db, h)) != 1 || len(hookEvents(t, db, off)) != 0 {
		t.Fatal("the enabled hook should have one event and the disabled none")
	}
	got, _ := db.GetHook(ctx, off.ID)
	if got.DisabledAt == nil || got.DisabledReason != "410 Gone" {
		t.Fatalf("disabled hook: %+v", got)
	}
}

// TestHookEventSendDone: a finished send queues send.done with its counts.
func TestHookEventSendDone(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 3)
	h := mustHook(t, db, nil, "send.done")
	if _, err := db.CancelSend(ctx, s.ID, "test"); err != nil {
		t.Fatal(err)
	}
	evs := hookEvents(t, db, h)
	if len(evs) != 1 || evs[0].Type != "send.done" || evs[0].Subject != "send:"+itoa(s.ID) {
		t.Fatalf("events: %+v", evs)
	}
	p := payloadOf(t, evs[0])
	if p.Data.ID != s.ID || p.Data.Issue != "issue-01" || p.Data.List != "news" || p.Data.Counts["skipped"] != 3 || p.Data.Counts["sent"] != 0 {
		t.Fatalf("payload: %s", evs[0].Payload)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestRecordHookAttempt: attempts are kept newest first; an outcome moves
// the event as the state table allows; a superseded event stays so unless
// delivered; removing the hook removes its queue.
func TestRecordHookAttempt(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	h := mustHook(t, db, nil, "subscribed")
	e, err := db.QueueHookEvent(ctx, h.ID, "ping", "ping:1", `{"type":"ping"}`, db.Now())
	if err != nil || e.URL != h.URL || e.Secret != "whsec_x" {
		t.Fatalf("queue: %+v %v", e, err)
	}
	now := db.Now()
	due, _ := db.DueHookURLs(ctx, now)
	if len(due) != 1 || due[0] != h.URL {
		t.Fatalf("due: %v", due)
	}
	next := now.Add(time.Hour)
	db.RecordHookAttempt(ctx, store.HookAttempt{EventID: e.ID, At: now, Status: 500, Duration: 12 * time.Millisecond}, store.HookOutcome{State: store.HookQueued, Next: next})
	if got, _ := db.NextHookEvent(ctx, h.URL, now); got != nil {
		t.Fatalf("an event waiting for its retry is due: %+v", got)
	}
	got, _ := db.NextHookEvent(ctx, h.URL, next)
	if got == nil || got.ID != e.ID || got.Attempts != 1 {
		t.Fatalf("due at its retry: %+v", got)
	}
	db.RecordHookAttempt(ctx, store.HookAttempt{EventID: e.ID, At: next, Error: "connection refused"}, store.HookOutcome{State: store.HookDelivered})
	as, err := db.HookAttempts(ctx, h.ID, 10)
	if err != nil || len(as) != 2 || as[0].Error != "connection refused" || as[0].Status != 0 || as[1].Status != 500 ||
		as[1].Duration != 12*time.Millisecond || as[1].EventType != "ping" {
		t.Fatalf("attempts: %+v %v", as, err)
	}
	if got, _ := db.GetHookEvent(ctx, e.ID); got.State != store.HookDelivered || got.Attempts != 2 {
		t.Fatalf("event: %+v", got)
	}
	old, _ := db.QueueHookEvent(ctx, h.ID, "ping", "ping:2", `{}`, db.Now())
	db.QueueHookEvent(ctx, h.ID, "ping", "ping:2", `{}`, db.Now())
	db.RecordHookAttempt(ctx, store.HookAttempt{EventID: old.ID, At: now, Status: 503}, store.HookOutcome{State: store.HookQueued, Next: next})
	if got, _ := db.GetHookEvent(ctx, old.ID); got.State != store.HookSuperseded {
		t.Fatalf("a superseded event's retry revived it: %+v", got)
	}
	// Settled events go after their time with their attempts; a queued one stays.
	db.QueueHookEvent(ctx, h.ID, "ping", "ping:3", `{}`, db.Now())
	if n, err := db.PruneHookEvents(ctx, db.Now().Add(time.Minute)); err != nil || n != 2 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	if as, _ := db.HookAttempts(ctx, h.ID, 10); len(as) != 0 {
		t.Fatalf("attempts of pruned events: %+v", as)
	}
	if evs, _ := db.HookEvents(ctx, h.ID, 10); len(evs) != 2 || evs[0].State != store.HookQueued || evs[1].State != store.HookQueued {
		t.Fatalf("after pruning: %+v", evs)
	}
	if err := db.DeleteHook(ctx, h.ID, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetHook(ctx, h.ID); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("removed hook: %v", err)
	}
	if err := db.DeleteHook(ctx, h.ID, admin); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("removing again: %v", err)
	}
}

// TestHookEventsFromImportsAndBounces: the other store paths that change
// a status — an import (a dry run changes nothing and queues nothing) and
// a bounce score reaching the threshold — queue their events alike.
func TestHookEventsFromImportsAndBounces(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	news := mustList(t, db, "news")
	h := mustHook(t, db, nil, "subscribed", "unsubscribed", "bounced")
	rows := []store.ImportRow{{Line: 1, Address: mustAddr(t, "a@example.org"), Status: store.Active},
		{Line: 2, Address: mustAddr(t, "b@example.org"), Status: store.Unsubscribed}}
	if _, err := db.ApplyImport(ctx, news, rows, store.Evidence{Source: store.SourceImport}, true); err != nil {
		t.Fatal(err)
	}
	if evs := hookEvents(t, db, h); len(evs) != 0 {
		t.Fatalf("a dry run queued %d events", len(evs))
	}
	if _, err := db.ApplyImport(ctx, news, rows, store.Evidence{Source: store.SourceImport}, false); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range hookEvents(t, db, h) {
		p := payloadOf(t, e)
		got[p.Data.Address] = e.Type + "/" + p.Data.Source
	}
	if got["a@example.org"] != "subscribed/import" || got["b@example.org"] != "unsubscribed/import" {
		t.Fatalf("import events: %v", got)
	}
	up, err := db.RecordBounce(ctx, news, "a@example.org", true, "550 no such user", store.BouncePolicy{Threshold: 1, Window: time.Hour})
	if err != nil || !up.Disabled {
		t.Fatalf("bounce: %+v %v", up, err)
	}
	evs := hookEvents(t, db, h)
	if evs[0].Type != "bounced" || payloadOf(t, evs[0]).Data.OldStatus != "active" {
		t.Fatalf("after the bounce: %s %s", evs[0].Type, evs[0].Payload)
	}
}

// TestHookChangesAudited: adding and removing a hook are in its list's
// audit log with who did it, the URL without its query (it may carry the
// receiver's token) and never the secret.
func TestHookChangesAudited(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	l := mustList(t, db, "news")
	h, err := db.CreateHook(ctx, store.NewHook{URL: "https://crm.example.org/in?token=t0ps3cret", Secret: "whsec_s3cret",
		Events: []string{"subscribed", "unsubscribed"}, List: l, By: admin})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteHook(ctx, h.ID, admin); err != nil {
		t.Fatal(err)
	}
	log, err := db.AuditLog(ctx, l, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range log {
		got = append(got, a.Action+" by "+a.Operator+": "+a.Reason)
	}
	want := fmt.Sprintf("hook added by tester: hook #%d https://crm.example.org/in (subscribed,unsubscribed)\n"+
		"hook removed by tester: hook #%d https://crm.example.org/in", h.ID, h.ID)
	if strings.Join(got, "\n") != want {
		t.Fatalf("audit log:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
}
