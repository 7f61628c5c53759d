package sending

import (
	"context"
	"fmt"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/dkimsign"
	"mailer/internal/fault"
	"mailer/internal/render"
	"mailer/internal/store"
)

// Transports gives the transport a send goes by, its DKIM signer (nil for
// none) and how mail goes, for people. It is called once the issue is
// known to be sendable, so that a draft is refused before the transport
// is set up.
type Transports func() (delivery.Transport, *dkimsign.Signer, string, error)

// Prepare plans a send a person asked for (at a terminal, or over the
// API): a draft goes only to test addresses; a send to the list decides
// between a new send and resuming the last one (FindExisting). Test
// copies go outside the queue, so tests skips that decision.
func (j *Job) Prepare(ctx context.Context, o PlanOptions, tests bool, transport Transports) (*Plan, error) {
	if j.Issue.Draft && !tests {
		return nil, fault.Errorf(fault.Invalid, "%s is a draft (draft: true in its front matter); send --test ADDR to look at it, remove that line to send it", j.Issue.Source)
	}
	tr, dkim, via, err := transport()
	if err != nil {
		return nil, err
	}
	o.Transport, o.DKIM, o.Via = tr, dkim, via
	p, err := j.NewPlan(ctx, o)
	if err != nil || tests {
		return p, err
	}
	if err := p.FindExisting(ctx, o); err != nil {
		return nil, err
	}
	return p, nil
}

// Preflight opens and closes one session, so that a wrong host, port or
// password is reported before anything is queued or marked.
func (p *Plan) Preflight(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(p.Job.Config.SMTP.ConnectTimeout))
	defer cancel()
	s, err := p.Transport.Dial(ctx)
	if err != nil {
		return fault.Coded(fault.Unavailable, err)
	}
	return s.Close()
}

// Schedule keeps the send for the daemon to start at due. The issue was
// rendered and checked when planned, and its content hash is kept, so
// that the daemon refuses it if it is edited before its time. An issue
// already scheduled to the list is refused (a Conflict naming both times,
// store.ScheduledError) unless the plan says Replace; the schedule returned
// then names the one it replaced.
func (p *Plan) Schedule(ctx context.Context, due time.Time, ev store.Evidence) (*store.Schedule, error) {
	if !due.After(p.Job.DB.Now()) {
		return nil, fault.Errorf(fault.Invalid, "%s is in the past: a send is scheduled for later", due.Local().Format("2006-01-02 15:04 MST"))
	}
	return p.schedule(ctx, due, ev)
}

// ScheduleNow keeps the send for the daemon's next tick, with the same
// rules as Schedule (the API's POST /api/v1/sends without a time).
func (p *Plan) ScheduleNow(ctx context.Context, ev store.Evidence) (*store.Schedule, error) {
	return p.schedule(ctx, p.Job.DB.Now(), ev)
}

func (p *Plan) schedule(ctx context.Context, due time.Time, ev store.Evidence) (*store.Schedule, error) {
	db := p.Job.DB
	sc, err := db.ScheduleSend(ctx, store.Schedule{Issue: p.Job.Issue.Slug, ListID: p.Job.List.ID, ContentHash: p.Hash, DueAt: due}, p.Replace)
	if err != nil {
		return nil, err
	}
	detail := p.Job.Issue.Slug + " at " + due.UTC().Format(time.RFC3339)
	if sc.Replaced != nil {
		detail += fmt.Sprintf(", replacing schedule #%d at %s", sc.Replaced.ID, sc.Replaced.DueAt.UTC().Format(time.RFC3339))
	}
	return sc, db.AuditSend(ctx, p.Job.List.Name, store.ActionSendScheduled, sc.ID, detail, ev)
}

// TestCopy is what became of one test copy.
type TestCopy struct {
	To  string // the address it went to; empty when the one given is not an address
	Err error  // why it was not sent; nil when it was
}

// SendTests sends single copies outside the queue, for the editor to look
// at: over one session, after the issue's files are published (its
// images load from there), personalised and signed as the send's messages
// are. A copy that is not sent does not stop the others; the error then
// says how many were not.
func (p *Plan) SendTests(ctx context.Context, addrs []string) ([]TestCopy, error) {
	if err := p.Preflight(ctx); err != nil {
		return nil, err
	}
	sess, err := p.Transport.Dial(ctx)
	if err != nil {
		return nil, fault.Coded(fault.Unavailable, err)
	}
	defer sess.Close()
	if err := p.Publish(ctx); err != nil {
		return nil, err
	}
	var out []TestCopy
	failed := 0
	for _, a := range addrs {
		c := p.testCopy(ctx, sess, a)
		if c.Err != nil {
			failed++
		}
		out = append(out, c)
	}
	if failed > 0 {
		return out, fault.Errorf(fault.Invalid, "%d of %d test copies not sent", failed, len(addrs))
	}
	return out, nil
}

func (p *Plan) testCopy(ctx context.Context, sess delivery.Session, addr string) TestCopy {
	rcpt, _, err := p.Job.RecipientFor(ctx, addr)
	if err != nil {
		return TestCopy{Err: err}
	}
	rcpt.FeedbackID = render.FeedbackID(0, p.Job.List.Name, "test")
	msg, err := p.Rendered.Message.Personalise(nil, rcpt)
	if err == nil {
		msg, err = p.Sign(msg)
	}
	if err == nil {
		err = delivery.SendOne(sess, p.Job.Config.Book().VERP(p.Job.List.Name, rcpt.Address), rcpt.Address, msg)
	}
	return TestCopy{To: rcpt.Address, Err: err}
}
