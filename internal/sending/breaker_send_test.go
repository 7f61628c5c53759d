package sending_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/app"
	"mailer/internal/fault"
	"mailer/internal/sending"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

const owner = "owner@example.org"

// staleEnv is an env whose list has n more members, member0..member{n-1},
// of whom the server refuses those stale says with 550 at RCPT, as a
// receiver refuses an address that no longer exists. The list's owner is
// owner, told of a paused send through the same relay.
func staleEnv(t *testing.T, n int, stale func(i int) bool) *env {
	e := newEnv(t, 0)
	ctx := context.Background()
	refused := map[string]bool{}
	rows := make([]store.ImportRow, n)
	for i := range rows {
		a, err := address.Parse(member(i))
		if err != nil {
			t.Fatal(err)
		}
		rows[i] = store.ImportRow{Line: i + 1, Address: a, Status: store.Active}
		refused[member(i)] = stale(i)
	}
	if _, err := e.db.ApplyImport(ctx, e.list(), rows, store.Evidence{Source: store.SourceImport}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UpdateList(ctx, "news", store.ListSettings{Owners: &[]string{owner}}); err != nil {
		t.Fatal(err)
	}
	e.srv.Random = func(rcpt string) *smtptest.Fault {
		if refused[strings.ToLower(rcpt)] {
			return &smtptest.Fault{Stage: "RCPT", Code: 550}
		}
		return nil
	}
	return e
}

func member(i int) string { return fmt.Sprintf("member%d@example.org", i) }

// runBreaking runs p as `mailer send` does: refusals to the bounce
// service, the breaker's notice through mailer's own mail (the relay).
func (e *env) runBreaking(p *sending.Plan) (sending.Outcome, *said, error) {
	a, err := app.Build(e.cfg, e.db, app.Options{Now: e.clock})
	if err != nil {
		e.t.Fatal(err)
	}
	s := &said{}
	out, err := p.Run(context.Background(), sending.RunOptions{Progress: s, Refusals: a.Bounces, Breaker: a.BreakerHooks(), Now: e.clock})
	return out, s, err
}

// notices are the messages the relay took for the owner.
func (e *env) notices() []string {
	var out []string
	for _, m := range e.srv.Messages() {
		if len(m.To) == 1 && m.To[0] == owner {
			out = append(out, string(m.Data))
		}
	}
	return out
}

// TestStaleListSendPausesItself: 2,000 members of whom 40% are refused
// 550. The send pauses itself near the 100th attempt (the minimum sample)
// instead of making all 2,000; the pause names the rate and the reason in
// the run's error, sends ls, status and the owner's notice; the daemon
// leaves it alone; a resume without --force is refused with the reason.
func TestStaleListSendPausesItself(t *testing.T) {
	e := staleEnv(t, 2000, func(i int) bool { return i%5 == 1 || i%5 == 3 })
	out, s, err := e.runBreaking(e.mustPlan(sending.PlanOptions{}))
	if fault.CodeOf(err) != fault.Unavailable || !strings.Contains(err.Error(), "paused itself (circuit breaker:") ||
		!strings.Contains(err.Error(), "mailer sends resume 1 --force") {
		t.Fatalf("run: %v, want the breaker's pause", err)
	}
	attempts := out.Counts.Sent + out.Counts.Failed
	t.Logf("tripped: %d attempts made (%d sent, %d refused) of 2,000; said %q", attempts, out.Counts.Sent, out.Counts.Failed, s.lines)
	if attempts < 100 || attempts > 100+4*e.cfg.Concurrency || out.Finished {
		t.Fatalf("%d attempts before the pause, want the minimum sample of 100 and the messages in flight", attempts)
	}
	ctx := context.Background()
	send, err := e.db.GetSend(ctx, out.Send)
	if err != nil || !send.Paused || !strings.Contains(send.PauseReason, "of the last 100 attempts were refused for good") {
		t.Fatalf("send: %+v, %v", send, err)
	}
	rate := send.PauseReason[strings.Index(send.PauseReason, "(")+1:]
	if !strings.HasPrefix(rate, "3") && !strings.HasPrefix(rate, "4") || !strings.Contains(rate, "% hard bounces, over the limit of 10%") {
		t.Fatalf("reason %q names no rate near 40%%", send.PauseReason)
	}
	ls, err := sending.Sends(ctx, e.db, false)
	if err != nil || len(ls.Sends) != 1 || ls.Sends[0].Status != "paused by the "+send.PauseReason {
		t.Fatalf("sends ls: %+v, %v", ls, err)
	}
	ov, err := sending.Status(ctx, e.db, "issue-06")
	if err != nil || len(ov.Sends) != 1 || !strings.Contains(ov.Sends[0].Standing, send.PauseReason) {
		t.Fatalf("status: %+v, %v", ov, err)
	}
	notes := e.notices()
	if len(notes) != 1 || !strings.Contains(notes[0], "Subject: Send #1 of issue-06 to news paused itself") ||
		!strings.Contains(notes[0], "mailer sends resume 1 --force") || !strings.Contains(notes[0], "The rate is ") {
		t.Fatalf("the owner was told %d times:\n%s", len(notes), strings.Join(notes, "\n---\n"))
	}
	before := len(e.srv.Messages())
	e.setClock(e.clock().Add(time.Hour))
	if err := e.daemon(&lockedWriter{w: new(bytes.Buffer)}).Tick(ctx); err != nil || len(e.srv.Messages()) != before {
		t.Fatalf("the daemon delivered a paused send: %v, %d -> %d messages", err, before, len(e.srv.Messages()))
	}
	err = sending.ResumeSend(ctx, e.db, out.Send, false, store.Evidence{Operator: "ann"})
	if fault.CodeOf(err) != fault.Conflict || !strings.Contains(err.Error(), send.PauseReason) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("resume without --force: %v, want a refusal naming the reason", err)
	}
	if s, _ := e.db.GetSend(ctx, out.Send); !s.Paused {
		t.Fatal("the refused resume unpaused the send")
	}
}

// TestEarlyBurstDoesNotStopASendForGood: 600 members, the first 40 refused
// (one bad minute at the start). The breaker trips on that burst; resumed
// with --force the send is judged afresh from the resume (the window is of
// recent attempts, not a running total, which would trip again at once)
// and delivers every other member exactly once.
func TestEarlyBurstDoesNotStopASendForGood(t *testing.T) {
	e := staleEnv(t, 600, func(i int) bool { return i < 40 })
	out, _, err := e.runBreaking(e.mustPlan(sending.PlanOptions{}))
	if fault.CodeOf(err) != fault.Unavailable || !strings.Contains(err.Error(), "paused itself") {
		t.Fatalf("first run: %+v, %v; want the burst to trip the breaker", out, err)
	}
	ctx := context.Background()
	if err := sending.ResumeSend(ctx, e.db, out.Send, false, store.Evidence{Operator: "ann"}); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("resume without --force: %v", err)
	}
	if err := sending.ResumeSend(ctx, e.db, out.Send, true, store.Evidence{Operator: "ann"}); err != nil {
		t.Fatalf("resume --force: %v", err)
	}
	send, err := e.db.GetSend(ctx, out.Send)
	if err != nil || send.Paused || send.PauseReason != "" {
		t.Fatalf("after resume --force: %+v, %v", send, err)
	}
	out, s, err := e.runBreaking(e.mustPlan(sending.PlanOptions{}))
	if err != nil || !out.Finished || out.Counts.Sent != 560 || out.Counts.Failed != 40 {
		t.Fatalf("resumed run: %+v, %v, said %q", out, err, s.lines)
	}
	got := e.srv.ByRecipient()
	for i := 40; i < 600; i++ {
		if got[member(i)] != 1 {
			t.Fatalf("%s got %d copies, want 1", member(i), got[member(i)])
		}
	}
	if n := len(e.notices()); n != 1 {
		t.Fatalf("the owner was told %d times, want once (the one trip)", n)
	}
}

// TestBreakerOffDeliversEverything: with breaker_bounce_rate = 0 the stale
// list is sent to the end, as before the breaker: every attempt is made.
func TestBreakerOffDeliversEverything(t *testing.T) {
	e := staleEnv(t, 2000, func(i int) bool { return i%5 == 1 || i%5 == 3 })
	e.cfg.Send.BreakerBounceRate = 0
	out, s, err := e.runBreaking(e.mustPlan(sending.PlanOptions{}))
	if err != nil || !out.Finished || out.Counts.Sent != 1200 || out.Counts.Failed != 800 {
		t.Fatalf("run: %+v, %v, said %q", out, err, s.lines)
	}
	if n := len(e.notices()); n != 0 {
		t.Fatalf("the owner was told %d times of a breaker that is off", n)
	}
}

// TestComplaintsTripTheBreaker: the complaints counted against the send
// (the hook a store method fills) pass 0.3% of the messages delivered:
// the send pauses itself, naming the complaint rate.
func TestComplaintsTripTheBreaker(t *testing.T) {
	e := staleEnv(t, 1000, func(int) bool { return false })
	a, err := app.Build(e.cfg, e.db, app.Options{Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	hooks := a.BreakerHooks()
	var asked int64
	hooks.Complaints = func(_ context.Context, id int64) (int, error) { asked = id; return 2, nil }
	s := &said{}
	out, err := e.mustPlan(sending.PlanOptions{}).Run(context.Background(), sending.RunOptions{Progress: s, Breaker: hooks, Now: e.clock})
	if fault.CodeOf(err) != fault.Unavailable || asked != out.Send || out.Finished {
		t.Fatalf("run: %+v, %v (asked for send %d)", out, err, asked)
	}
	send, _ := e.db.GetSend(context.Background(), out.Send)
	if !strings.Contains(send.PauseReason, "2 spam complaint(s) for") || !strings.Contains(send.PauseReason, "over the limit of 0.3%") {
		t.Fatalf("reason %q", send.PauseReason)
	}
	// 2 complaints are over 0.3% of anything under 667 delivered; they
	// are first counted at the 100th delivery, which trips it.
	if out.Counts.Sent < 100 || out.Counts.Sent > 100+4*e.cfg.Concurrency {
		t.Fatalf("%d delivered before the pause", out.Counts.Sent)
	}
}
