package api

import (
	"strconv"

	"mailer/internal/fault"
	"mailer/internal/listhealth"
	"mailer/internal/sending"
	"mailer/internal/store"
)

// Lists is GET /api/v1/lists: the lists the caller may see, each as
// `lists ls --json` prints it. A site has few lists: one page.
type Lists struct {
	Items []*store.List `json:"items"`
}

func listLists(c *call) (any, error) {
	all, err := c.h.o.DB.Lists(c.ctx)
	if err != nil {
		return nil, err
	}
	out := Lists{Items: []*store.List{}}
	for _, l := range all {
		if c.who.CanSee(l.Name) {
			out.Items = append(out.Items, nullsToEmpty(l))
		}
	}
	return out, nil
}

// getList is GET /api/v1/lists/{list}: the list with its health, as the
// console shows it (members by status, joins and departures per day, the
// latest sends' rates next to the circuit breaker's limits).
func getList(c *call) (any, error) {
	days, err := intQuery(c, "days", 90, 1, 366)
	if err != nil {
		return nil, err
	}
	h, err := listhealth.Of(c.ctx, c.h.o.DB, nullsToEmpty(c.list), sending.BreakerPolicyOf(c.h.o.Config.Send),
		listhealth.Options{Days: days, Now: c.h.o.Now()})
	if err != nil {
		return nil, err
	}
	if h.Sends == nil {
		h.Sends = []listhealth.SendRates{}
	}
	return h, nil
}

// nullsToEmpty gives a list's collections as [] and {} rather than null.
func nullsToEmpty(l *store.List) *store.List {
	if l.Owners == nil {
		l.Owners = []string{}
	}
	if l.Counts == nil {
		l.Counts = map[store.Status]int{}
	}
	return l
}

// intQuery reads an integer query parameter between lo and hi, def when
// it is absent.
func intQuery(c *call, name string, def, lo, hi int) (int, error) {
	raw := c.r.URL.Query().Get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, fault.Errorf(fault.Invalid, "%s=%q: want a whole number from %d to %d", name, raw, lo, hi)
	}
	return n, nil
}

// boolQuery reads a true/false query parameter.
func boolQuery(c *call, name string) (bool, error) {
	raw := c.r.URL.Query().Get(name)
	if raw == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, fault.Errorf(fault.Invalid, "%s=%q: want true or false", name, raw)
	}
	return b, nil
}
