package console

import (
	"html/template"
	"net/http"

	"mailer/internal/fault"
	"mailer/internal/listhealth"
	"mailer/internal/sending"
	"mailer/internal/store"
	"mailer/internal/svgchart"
)

// listCard is one list on the lists page and the list page: members by
// status, the 90 days' joins and departures drawn, the latest sends' rates
// next to the limits that pause a send.
type listCard struct {
	List     *store.List
	Statuses []statusCount
	Chart    template.HTML // svgchart's SVG: no script, no style attribute
	Joined   int
	Left     int
	Health   *listhealth.Health
	Sends    []sendRate
}

type statusCount struct {
	Status store.Status
	N      int
}

// sendRate is a send's rates, each marked when past the breaker's limit.
type sendRate struct {
	listhealth.SendRates
	BounceHigh, ComplaintHigh bool
}

// resolveList finds the list the URL names, as if it did not exist when
// the principal may not see it (404: an owner learns nothing of the
// lists of others).
func (s *Server) resolveList(r *http.Request) (*store.List, error) {
	name := r.PathValue("list")
	if !principalOf(r).CanSee(name) {
		return nil, fault.Errorf(fault.NotFound, "no list named %q", name)
	}
	return s.db.GetList(r.Context(), name)
}

// changeList is resolveList for a change: 404 for a list unseen, 403 for
// one the principal may see and not change.
func (s *Server) changeList(r *http.Request) (*store.List, error) {
	l, err := s.resolveList(r)
	if err != nil {
		return nil, err
	}
	if err := principalOf(r).CanChange(l.Name); err != nil {
		return nil, err
	}
	return l, nil
}

func (s *Server) card(r *http.Request, l *store.List) (listCard, error) {
	h, err := listhealth.Of(r.Context(), s.db, l, sending.BreakerPolicyOf(s.o.Config.Send), listhealth.Options{Now: s.o.Now()})
	if err != nil {
		return listCard{}, err
	}
	c := listCard{List: l, Health: h}
	for _, st := range store.Statuses {
		c.Statuses = append(c.Statuses, statusCount{st, l.Counts[st]})
	}
	bars := make([]svgchart.Bar, len(h.Days))
	for i, d := range h.Days {
		bars[i] = svgchart.Bar{Label: d.Day, Up: d.Joined, Down: d.Left}
		c.Joined += d.Joined
		c.Left += d.Left
	}
	c.Chart = svgchart.Bars(l.Name+": joined and left per day, last 90 days", "joined", "left", bars)
	for _, sr := range h.Sends {
		c.Sends = append(c.Sends, sendRate{SendRates: sr,
			BounceHigh:    sr.BounceRate >= h.Limits.BounceRate && h.Limits.BounceRate > 0,
			ComplaintHigh: sr.ComplaintRate >= h.Limits.ComplaintRate && h.Limits.ComplaintRate > 0})
	}
	return c, nil
}

// listsPage is "/": every list the principal may see.
func (s *Server) listsPage(w http.ResponseWriter, r *http.Request) {
	lists, err := s.db.Lists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalOf(r)
	var cards []listCard
	for _, l := range lists {
		if !p.CanSee(l.Name) {
			continue
		}
		c, err := s.card(r, l)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		cards = append(cards, c)
	}
	s.page(w, r, "lists", "Lists", cards)
}

// listPage is /lists/NAME.
func (s *Server) listPage(w http.ResponseWriter, r *http.Request) {
	l, err := s.resolveList(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.card(r, l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, "list", l.Title, c)
}
