package sending

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mailer/internal/fault"
	"mailer/internal/store"
)

// Where sends stand, for `mailer sends ls`, `mailer status` and the API,
// and what a person may do to them: pause, resume, cancel.

// Standing says where a send stands, for people: done, paused (with the
// circuit breaker's rate and reason when it paused itself), running
// (someone holds its lease at now), waiting for retry (only deferred
// messages left), or stopped with messages left, which the daemon takes
// over.
func Standing(s *store.Send, now time.Time) string {
	switch {
	case s.State == store.SendDone:
		return "done"
	case s.Paused && s.PauseReason != "":
		return "paused by the " + s.PauseReason
	case s.Paused:
		return "paused"
	case s.LeaseOwner != "" && s.LeaseUntil.After(now) && s.LearnedPace > 0:
		return fmt.Sprintf("running, paced at %.1f msg/s by the relay's throttling", s.LearnedPace)
	case s.LeaseOwner != "" && s.LeaseUntil.After(now):
		return "running"
	case s.Counts.Queued == 0 && s.Counts.Sending == 0 && s.Counts.Deferred > 0:
		return "waiting for retry"
	}
	return "stopped (mailer serve takes it over)"
}

// SendList is the scheduled sends and the sends listed.
type SendList struct {
	Scheduled []*store.Schedule `json:"scheduled"`
	Sends     []SendView        `json:"sends"`
}

// SendView is a send with where it stands.
type SendView struct {
	*store.Send
	Status    string `json:"status"` // Standing
	NextRetry string `json:"next_retry,omitempty"`
}

// Sends lists the schedules not started and the sends not finished,
// newest first; with all, every one of both.
func Sends(ctx context.Context, db *store.DB, all bool) (*SendList, error) {
	v := &SendList{Sends: []SendView{}}
	var err error
	if v.Scheduled, err = db.Schedules(ctx, all); err != nil {
		return nil, err
	}
	sends, err := db.Sends(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, s := range sends {
		if s.State == store.SendDone && !all {
			continue
		}
		sv := SendView{Send: s, Status: Standing(s, db.Now())}
		if next, pending, err := db.Queue(s.ID).NextDue(ctx); err == nil && pending && s.Counts.Queued == 0 && s.Counts.Sending == 0 {
			sv.NextRetry = next.UTC().Format("2006-01-02T15:04:05Z")
		}
		v.Sends = append(v.Sends, sv)
	}
	return v, nil
}

// Overview is the sends of an issue (or all sends) with their latest
// problems, and the schedules waiting.
type Overview struct {
	Sends []SendStatus
	// Scheduled are the schedules not started of the issue (of every
	// issue when none is named); ScheduledAll counts those of every issue.
	Scheduled    []*store.Schedule
	ScheduledAll int
}

// SendStatus is a send with its latest problems and where it stands.
type SendStatus struct {
	*store.Send
	Problems []store.DeliveryProblem `json:"latest_problems"`
	// Complaints counts the spam complaints about the send (ARF reports,
	// ESP events): Gmail and Yahoo block senders past 0.3%.
	Complaints int `json:"complaints"`
	// BounceReports counts the hard bounces reported by mail (or a
	// relay's webhook) after the message was taken, tied to the send.
	BounceReports int       `json:"bounce_reports"`
	Standing      string    `json:"-"` // Standing, for a send not done
	NextRetry     time.Time `json:"-"` // when a send waiting for retry tries next
}

// Status is the overview of issue's sends (every send when issue is empty).
func Status(ctx context.Context, db *store.DB, issue string) (*Overview, error) {
	sends, err := db.Sends(ctx, issue)
	if err != nil {
		return nil, err
	}
	ov := &Overview{Sends: []SendStatus{}}
	for _, s := range sends {
		probs, err := db.Problems(ctx, s.ID, 5)
		if err != nil {
			return nil, err
		}
		complaints, err := db.SendComplaints(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		reports, err := db.SendHardBounces(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		st := SendStatus{Send: s, Problems: probs, Complaints: complaints, BounceReports: reports}
		if s.State != store.SendDone {
			st.Standing = Standing(s, db.Now())
			if next, pending, err := db.Queue(s.ID).NextDue(ctx); err == nil && pending && st.Standing == "waiting for retry" {
				st.NextRetry = next
			}
		}
		ov.Sends = append(ov.Sends, st)
	}
	scheduled, err := db.Schedules(ctx, false)
	if err != nil {
		return nil, err
	}
	ov.ScheduledAll = len(scheduled)
	for _, sc := range scheduled {
		if issue == "" || sc.Issue == issue {
			ov.Scheduled = append(ov.Scheduled, sc)
		}
	}
	return ov, nil
}

// PauseSend pauses a running send: nobody claims its messages until it is
// resumed; a run delivering it stops after the messages in flight. ev says
// who asked, for the audit log (every edge: CLI, console, API).
func PauseSend(ctx context.Context, db *store.DB, id int64, ev store.Evidence) error {
	if err := db.SetPaused(ctx, id, true); err != nil {
		return err
	}
	return auditSend(ctx, db, id, store.ActionSendPaused, "", ev)
}

// ResumeSend lets a paused send go on: the daemon takes it up. A send the
// circuit breaker paused goes on only with force, which says a person has
// looked at why; the breaker then judges it afresh from the resume.
func ResumeSend(ctx context.Context, db *store.DB, id int64, force bool, ev store.Evidence) error {
	err := db.ResumeSend(ctx, id, force)
	if errors.Is(err, store.ErrPausedByMailer) {
		return fault.Explain(fault.Conflict, err, "send #%d paused itself: %v. Look at its failures (mailer status) first; "+
			"to go on past the circuit breaker: mailer sends resume %d --force", id, err, id)
	}
	if err != nil {
		return err
	}
	detail := ""
	if force {
		detail = "past the circuit breaker (--force)"
	}
	return auditSend(ctx, db, id, store.ActionSendResumed, detail, ev)
}

// CancelSchedule cancels a schedule that has not started; ev names who did.
func CancelSchedule(ctx context.Context, db *store.DB, id int64, ev store.Evidence) error {
	if err := db.EndSchedule(ctx, id, store.ScheduleCancelled, 0, "cancelled by "+ev.Operator); err != nil {
		return err
	}
	sc, err := db.GetSchedule(ctx, id)
	if err != nil {
		return err
	}
	return db.AuditSend(ctx, sc.ListName, store.ActionScheduleCancelled, id, sc.Issue, ev)
}

// CancelSend stops a running send for good: what is left is skipped, with
// who cancelled it (ev) as the reason. It returns how many were skipped.
func CancelSend(ctx context.Context, db *store.DB, id int64, ev store.Evidence) (int, error) {
	n, err := db.CancelSend(ctx, id, "send cancelled by "+ev.Operator)
	if err != nil {
		return n, err
	}
	return n, auditSend(ctx, db, id, store.ActionSendCancelled, fmt.Sprintf("%d message(s) not sent", n), ev)
}

// auditSend records an owner's action on a send in its list's audit log.
func auditSend(ctx context.Context, db *store.DB, id int64, action, detail string, ev store.Evidence) error {
	s, err := db.GetSend(ctx, id)
	if err != nil {
		return err
	}
	return db.AuditSend(ctx, s.ListName, action, id, detail, ev)
}
