package sending_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/sending"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

// A plan sent to the list delivers one copy to each active member, and
// none to the pending or unsubscribed address; the send is finished.
func TestRunDeliversToActiveMembersOnly(t *testing.T) {
	e := newEnv(t, 5)
	p := e.mustPlan(sending.PlanOptions{})
	if p.Existing != nil || p.Recipients != 5 {
		t.Fatalf("plan: existing %v, %d recipients; want a new send to 5", p.Existing, p.Recipients)
	}
	out, s, err := e.run(p, false)
	if err != nil || !out.Finished || out.Counts.Sent != 5 || s.sent != 5 {
		t.Fatalf("run: %+v, %d results sent, %v", out, s.sent, err)
	}
	got := e.srv.ByRecipient()
	for i := range 5 {
		if got[reader(i)] != 1 {
			t.Errorf("%s got %d copies, want 1", reader(i), got[reader(i)])
		}
	}
	if len(got) != 5 {
		t.Fatalf("received by %v, want the 5 active members only", got)
	}
	send, err := e.db.GetSend(context.Background(), out.Send)
	if err != nil || send.State != store.SendDone || send.FinishedAt == nil {
		t.Fatalf("send after the run: %+v, %v", send, err)
	}
}

// A finished send is not repeated; --resend-failed sends only its failed
// messages, and only when there are some; --force sends to everyone again.
func TestFinishedSendIsRefusedOrResendsOnlyFailed(t *testing.T) {
	e := newEnv(t, 3)
	e.srv.Fail(reader(1), smtptest.Fault{Stage: "RCPT", Code: 550, Times: 1})
	first, _, err := e.run(e.mustPlan(sending.PlanOptions{}), false)
	if err != nil || first.Counts.Sent != 2 || first.Counts.Failed != 1 {
		t.Fatalf("first run: %+v, %v", first, err)
	}
	_, err = e.plan(sending.PlanOptions{})
	if fault.CodeOf(err) != fault.Conflict || !strings.Contains(err.Error(), "--resend-failed retries the failed ones") {
		t.Fatalf("second run of a done send: %v, want a conflict", err)
	}
	p := e.mustPlan(sending.PlanOptions{ResendFailed: true})
	if p.Existing == nil || p.Recipients != 1 {
		t.Fatalf("resend plan: existing %v, %d recipients; want the finished send, 1", p.Existing, p.Recipients)
	}
	out, _, err := e.run(p, true)
	if err != nil || !out.Finished || out.Send != p.Existing.ID || out.Counts.Sent != 3 || out.Counts.Failed != 0 {
		t.Fatalf("resend: %+v, %v", out, err)
	}
	if got := e.srv.ByRecipient(); got[reader(0)] != 1 || got[reader(1)] != 1 || got[reader(2)] != 1 {
		t.Fatalf("after the resend: %v, want one copy each", got)
	}
	if _, err := e.plan(sending.PlanOptions{ResendFailed: true}); fault.CodeOf(err) != fault.Conflict || !strings.Contains(err.Error(), "nothing to resend") {
		t.Fatalf("resend with no failures: %v", err)
	}
	p = e.mustPlan(sending.PlanOptions{Force: true})
	if p.Existing != nil || p.Recipients != 3 {
		t.Fatalf("forced plan: existing %v, %d recipients; want a new send to 3", p.Existing, p.Recipients)
	}
	if out, _, err := e.run(p, false); err != nil || out.Send == first.Send || out.Counts.Sent != 3 || len(e.srv.Messages()) != 6 {
		t.Fatalf("forced: %+v, %d messages, %v", out, len(e.srv.Messages()), err)
	}
}

// A send left with messages in flight (its process killed mid-send: rows
// claimed, a lease nobody renews) is recovered by the next run, as
// send.in_flight says: resent, or marked failed and not sent again.
func TestSendLeftInFlightIsRecovered(t *testing.T) {
	for _, c := range []struct {
		inFlight        config.InFlight
		messages, fails int
		fate            string
	}{{config.InFlightResend, 4, 0, "sending them again"}, {config.InFlightSkip, 2, 2, "not sending them again"}} {
		t.Run(string(c.inFlight), func(t *testing.T) {
			e := newEnv(t, 5)
			e.cfg.Send.InFlight = c.inFlight
			crashed(t, e)
			p := e.mustPlan(sending.PlanOptions{})
			if p.Existing == nil || p.Recipients != 4 {
				t.Fatalf("plan: existing %v, %d recipients; want to resume with 4 left", p.Existing, p.Recipients)
			}
			out, s, err := e.run(p, false)
			if err != nil || !out.Finished || out.Counts.Failed != c.fails || out.Counts.Sent != 5-c.fails {
				t.Fatalf("run: %+v, %v", out, err)
			}
			if n := len(e.srv.Messages()); n != c.messages {
				t.Fatalf("%d messages, want %d (the one recorded sent is never sent again)", n, c.messages)
			}
			if len(s.lines) == 0 || !strings.Contains(s.lines[0], "2 message(s) were being sent when the last run stopped: "+c.fate) {
				t.Fatalf("said %q", s.lines)
			}
		})
	}
}

// crashed leaves the state of a process killed mid-send: a send of the
// issue as planned now, one message recorded sent, two claimed and in
// flight, and a lease that lapsed without being released.
func crashed(t *testing.T, e *env) {
	ctx := context.Background()
	p := e.mustPlan(sending.PlanOptions{})
	s, err := e.db.StartSend(ctx, store.NewSend{Issue: "issue-06", ListID: p.Job.List.ID, Subject: p.Rendered.Subject, ContentHash: p.Hash,
		MsgIDNonce: "issue-06.crashed", MsgIDDomain: "lists.example.org", LeaseOwner: "gone:1:abc", LeaseUntil: e.clock().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	q := e.db.Queue(s.ID)
	jobs, err := q.Exchange(ctx, nil, 3, e.clock())
	if err != nil || len(jobs) != 3 {
		t.Fatalf("claimed %d, %v", len(jobs), err)
	}
	sent := []delivery.Result{{JobID: jobs[0].ID, Outcome: delivery.Sent, Reply: "250 ok", At: e.clock()}}
	if _, err := q.Exchange(ctx, sent, 0, e.clock()); err != nil {
		t.Fatal(err)
	}
}
