package api

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"mailer/internal/fault"
	"mailer/internal/sending"
	"mailer/internal/store"
)

// NewSend is POST /api/v1/sends: schedule an issue of the issues directory
// for its list (List, else the issue's list:, else default_list) at At
// (RFC 3339), or now when At is absent. The daemon of `mailer serve` sends
// it, as it sends `mailer send ISSUE --at`'s schedules.
type NewSend struct {
	Issue string     `json:"issue"`
	List  string     `json:"list,omitempty"`
	At    *time.Time `json:"at,omitempty"`
	// Replace replaces a schedule of the issue to the list that has not
	// started; without it such a schedule makes the request a 409.
	Replace bool `json:"replace,omitempty"`
}

// Resume is POST /api/v1/sends/{id}/resume; Force goes on past the
// circuit breaker, as `sends resume --force`.
type Resume struct {
	Force bool `json:"force,omitempty"`
}

// Send is one send or schedule: GET /api/v1/sends/N is a send with its
// latest problems (as `status --json`), /sends/sN a schedule (as `sends ls
// --json` lists it); the other field is absent.
type Send struct {
	Send     *sending.SendStatus `json:"send,omitempty"`
	Schedule *store.Schedule     `json:"schedule,omitempty"`
}

// Cancelled is what cancelling did: Skipped messages of a send that were
// never sent.
type Cancelled struct {
	Send
	Skipped int `json:"skipped"`
}

// Sends is GET /api/v1/sends, as `sends ls --json` prints it: the
// schedules, and a page of the sends, newest first; NextCursor asks for
// older ones.
type Sends struct {
	sending.SendList
	NextCursor string `json:"next_cursor,omitempty"`
}

// slug is an issue's name: a file of the issues directory, never a path.
var slug = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func listSends(c *call) (any, error) {
	all, err := boolQuery(c, "all")
	if err != nil {
		return nil, err
	}
	limit, err := intQuery(c, "limit", 100, 1, 1000)
	if err != nil {
		return nil, err
	}
	// The cursor is the id the last page ended with: sends only come
	// newer, so a page holds still.
	var before int64
	if raw := c.r.URL.Query().Get("cursor"); raw != "" {
		if before, err = strconv.ParseInt(raw, 10, 64); err != nil || before <= 0 {
			return nil, fault.Errorf(fault.Invalid, "cursor=%q is not a cursor this API gave", raw)
		}
	}
	v, err := sending.Sends(c.ctx, c.h.o.DB, all)
	if err != nil {
		return nil, err
	}
	out := Sends{SendList: sending.SendList{Scheduled: []*store.Schedule{}, Sends: []sending.SendView{}}}
	for _, s := range v.Scheduled {
		if c.who.CanSee(s.ListName) {
			out.Scheduled = append(out.Scheduled, s)
		}
	}
	for _, s := range v.Sends {
		if !c.who.CanSee(s.ListName) || before > 0 && s.ID >= before {
			continue
		}
		if len(out.Sends) == limit {
			out.NextCursor = strconv.FormatInt(out.Sends[limit-1].ID, 10)
			break
		}
		out.Sends = append(out.Sends, s)
	}
	return out, nil
}

func createSend(c *call) (any, error) {
	var in NewSend
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if !slug.MatchString(in.Issue) {
		return nil, fault.Errorf(fault.Invalid, `field "issue": the name of an issue in the issues directory (issue-06), not %q`, in.Issue)
	}
	cfg := c.h.o.Config
	path := filepath.Join(cfg.Resolve(cfg.IssuesDir), strings.TrimSuffix(in.Issue, ".md")+".md")
	if _, err := os.Stat(path); err != nil {
		return nil, fault.Errorf(fault.NotFound, "no issue %q in the issues directory", in.Issue)
	}
	if in.List != "" && !c.who.CanSee(in.List) {
		return nil, fault.Errorf(fault.NotFound, "no list named %q", in.List)
	}
	job, err := sending.Open(c.ctx, cfg, c.h.o.DB, path, in.List, c.h.o.Now)
	if err != nil {
		return nil, err
	}
	if !c.who.CanSee(job.List.Name) {
		return nil, fault.Errorf(fault.NotFound, "no list named %q", job.List.Name)
	}
	if err := c.who.CanChange(job.List.Name); err != nil {
		return nil, err
	}
	// The same plan as `mailer send --at`: a draft is refused, a finished
	// send is not repeated, the content hash is kept for the daemon.
	p, err := job.Prepare(c.ctx, sending.PlanOptions{Rate: -1}, false, c.h.o.Transports)
	if err != nil {
		return nil, err
	}
	// An issue already scheduled to the list is a Conflict (409) unless
	// the body says replace, as `send --at ... --replace`.
	p.Replace = in.Replace
	var sc *store.Schedule
	if in.At != nil {
		sc, err = p.Schedule(c.ctx, *in.At, c.evidence(store.SourceAdmin, ""))
	} else {
		// Now: due at once, for the daemon's next tick (Plan.Schedule
		// keeps the future for --at; the stored schedule is the same).
		sc, err = p.ScheduleNow(c.ctx, c.evidence(store.SourceAdmin, ""))
	}
	if err == nil {
		c.h.o.Logger.Info("api: send scheduled", "schedule", sc.ID, "issue", sc.Issue, "list", sc.ListName, "due", sc.DueAt, "operator", c.who.Operator())
	}
	return sc, err
}

// sendID reads {id}: N for a send, sN for a schedule.
func sendID(c *call) (id int64, schedule bool, err error) {
	raw := c.r.PathValue("id")
	rest, schedule := strings.CutPrefix(raw, "s")
	id, err = strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0, false, fault.Errorf(fault.Invalid, "%q is not a send (N) or schedule (sN) id", raw)
	}
	return id, schedule, nil
}

// find reads the send or schedule {id} names, if the caller may see its
// list (a NotFound otherwise, as for one that does not exist).
func (c *call) find() (Send, error) {
	id, isSchedule, err := sendID(c)
	if err != nil {
		return Send{}, err
	}
	db := c.h.o.DB
	if isSchedule {
		s, err := db.GetSchedule(c.ctx, id)
		if err == nil && !c.who.CanSee(s.ListName) {
			err = fault.Errorf(fault.NotFound, "no scheduled send #%d", id)
		}
		return Send{Schedule: s}, err
	}
	s, err := db.GetSend(c.ctx, id)
	if err == nil && !c.who.CanSee(s.ListName) {
		err = fault.Errorf(fault.NotFound, "no send %d", id)
	}
	if err != nil {
		return Send{}, err
	}
	ov, err := sending.Status(c.ctx, db, s.Issue)
	if err != nil {
		return Send{}, err
	}
	for i := range ov.Sends {
		if st := &ov.Sends[i]; st.ID == id {
			if st.Problems == nil {
				st.Problems = []store.DeliveryProblem{}
			}
			return Send{Send: st}, nil
		}
	}
	return Send{}, fault.Errorf(fault.NotFound, "no send %d", id)
}

func getSend(c *call) (any, error) { return c.find() }

// changeSend finds {id}, checks the caller may change its list, runs do
// and answers the send as it then stands.
func changeSend(c *call, do func(id int64) error) (any, error) {
	s, err := c.find()
	if err != nil {
		return nil, err
	}
	if s.Send == nil {
		return nil, fault.Errorf(fault.Invalid, "schedule %s has not started: only cancel applies to it", c.r.PathValue("id"))
	}
	if err := c.who.CanChange(s.Send.ListName); err != nil {
		return nil, err
	}
	if err := do(s.Send.ID); err != nil {
		return nil, err
	}
	c.h.o.Logger.Info("api: send changed", "send", s.Send.ID, "action", c.r.URL.Path, "operator", c.who.Operator())
	return c.find()
}

func pauseSend(c *call) (any, error) {
	return changeSend(c, func(id int64) error { return sending.PauseSend(c.ctx, c.h.o.DB, id, c.evidence(store.SourceAdmin, "")) })
}

func resumeSend(c *call) (any, error) {
	var in Resume
	if c.r.ContentLength != 0 {
		if err := c.decode(&in); err != nil {
			return nil, err
		}
	}
	return changeSend(c, func(id int64) error {
		return sending.ResumeSend(c.ctx, c.h.o.DB, id, in.Force, c.evidence(store.SourceAdmin, ""))
	})
}

func cancelSend(c *call) (any, error) {
	s, err := c.find()
	if err != nil {
		return nil, err
	}
	if s.Schedule != nil {
		if err := c.who.CanChange(s.Schedule.ListName); err != nil {
			return nil, err
		}
		if err := sending.CancelSchedule(c.ctx, c.h.o.DB, s.Schedule.ID, c.evidence(store.SourceAdmin, "")); err != nil {
			return nil, err
		}
		s, err = c.find()
		return Cancelled{Send: s}, err
	}
	var skipped int
	res, err := changeSend(c, func(id int64) (err error) {
		skipped, err = sending.CancelSend(c.ctx, c.h.o.DB, id, c.evidence(store.SourceAdmin, ""))
		return err
	})
	if err != nil {
		return nil, err
	}
	return Cancelled{Send: res.(Send), Skipped: skipped}, nil
}
