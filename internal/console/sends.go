package console

import (
	"net/http"
	"strconv"

	"mailer/internal/fault"
	"mailer/internal/sending"
	"mailer/internal/store"
)

type sendsData struct {
	Scheduled []*store.Schedule
	Running   []sending.SendView
	Finished  []sending.SendView
	CanEdit   map[string]bool // by list
}

// maxFinished is how many finished sends /sends shows.
const maxFinished = 50

// sendsPage is /sends: the scheduled sends, those running or left
// unfinished, and the finished ones, of the lists the principal may see
// (sending.Sends, as `mailer sends ls --all`).
func (s *Server) sendsPage(w http.ResponseWriter, r *http.Request) {
	all, err := sending.Sends(r.Context(), s.db, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalOf(r)
	d := sendsData{CanEdit: map[string]bool{}}
	for _, sc := range all.Scheduled {
		if p.CanSee(sc.ListName) && sc.State == store.ScheduleScheduled {
			d.Scheduled = append(d.Scheduled, sc)
			d.CanEdit[sc.ListName] = p.CanChange(sc.ListName) == nil
		}
	}
	for _, sv := range all.Sends {
		switch {
		case !p.CanSee(sv.ListName):
		case sv.State != store.SendDone:
			d.Running = append(d.Running, sv)
		case len(d.Finished) < maxFinished:
			d.Finished = append(d.Finished, sv)
		}
	}
	s.page(w, r, "sends", "Sends", d)
}

type sendData struct {
	Send    sending.SendStatus
	Done    bool
	CanEdit bool
	Events  string // the event stream's URL
}

// visibleSend finds the send the URL names, 404 when it is not on a list
// the principal may see; its status is what `mailer status` shows
// (sending.Status of its issue).
func (s *Server) visibleSend(r *http.Request) (sending.SendStatus, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return sending.SendStatus{}, fault.Errorf(fault.NotFound, "no send %q", r.PathValue("id"))
	}
	send, err := s.db.GetSend(r.Context(), id)
	if err != nil {
		return sending.SendStatus{}, err
	}
	if !principalOf(r).CanSee(send.ListName) {
		return sending.SendStatus{}, fault.Errorf(fault.NotFound, "no send #%d", id)
	}
	ov, err := sending.Status(r.Context(), s.db, send.Issue)
	if err != nil {
		return sending.SendStatus{}, err
	}
	for _, st := range ov.Sends {
		if st.ID == id {
			return st, nil
		}
	}
	return sending.SendStatus{}, fault.Errorf(fault.NotFound, "no send #%d", id)
}

// sendPage is /sends/N: its counts, its latest problems, its controls.
func (s *Server) sendPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.visibleSend(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, "send", "Send #"+strconv.FormatInt(st.ID, 10), sendData{Send: st, Done: st.State == store.SendDone,
		CanEdit: principalOf(r).CanChange(st.ListName) == nil, Events: "/sends/" + strconv.FormatInt(st.ID, 10) + "/events"})
}

// sendAction is POST /sends/N/pause, resume or cancel: the workflows of
// `mailer sends pause|resume|cancel`, in the principal's name.
func (s *Server) sendAction(w http.ResponseWriter, r *http.Request) {
	st, err := s.visibleSend(r)
	if err == nil {
		err = principalOf(r).CanChange(st.ListName)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx, op, done := r.Context(), principalOf(r).Operator(), ""
	ev := s.evidence(r, store.SourceAdmin, "")
	switch r.PathValue("action") {
	case "pause":
		err, done = sending.PauseSend(ctx, s.db, st.ID, ev), "paused"
	case "resume":
		err, done = sending.ResumeSend(ctx, s.db, st.ID, r.PostForm.Get("force") == "1", ev), "resumed"
	case "cancel":
		_, err = sending.CancelSend(ctx, s.db, st.ID, ev)
		done = "cancelled"
	default:
		err = fault.Errorf(fault.NotFound, "no such action %q", r.PathValue("action"))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.o.Logger.Info("console: send "+done, "send", st.ID, "list", st.ListName, "operator", op)
	http.Redirect(w, r, "/sends/"+strconv.FormatInt(st.ID, 10)+"?done="+done, http.StatusSeeOther)
}

// cancelSchedule is `mailer sends cancel sN`.
func (s *Server) cancelSchedule(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var sc *store.Schedule
	if err == nil {
		sc, err = s.db.GetSchedule(r.Context(), id)
	} else {
		err = fault.Errorf(fault.NotFound, "no schedule %q", r.PathValue("id"))
	}
	if err == nil && !principalOf(r).CanSee(sc.ListName) {
		err = fault.Errorf(fault.NotFound, "no schedule s%d", id)
	}
	if err == nil {
		err = principalOf(r).CanChange(sc.ListName)
	}
	if err == nil {
		err = sending.CancelSchedule(r.Context(), s.db, id, s.evidence(r, store.SourceAdmin, ""))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/sends?done=unscheduled", http.StatusSeeOther)
}
