package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mailer/internal/delivery"
	"mailer/internal/store"
)

// dayWindow is the window of the *_last_day gauges: receivers judge a
// bulk sender's complaint rate by the day (Gmail's and Yahoo's 2024 rules).
const dayWindow = 24 * time.Hour

// rateWindow is the window of mailer_send_rate_per_second: the messages
// the relay took in the last minute, over sixty.
const rateWindow = time.Minute

var (
	membersDesc = prometheus.NewDesc("mailer_members", "Members of each list by status, read from the store at scrape time.",
		[]string{"list", "status"}, nil)
	recipientsDesc = prometheus.NewDesc("mailer_send_recipients", "The recipients of the running sends by delivery state, read from the store at scrape time.",
		[]string{"list", "state"}, nil)
	rateDesc = prometheus.NewDesc("mailer_send_rate_per_second", "Messages of the running sends the relay took per second over the last minute, whichever process sent them.",
		[]string{"list"}, nil)
	dayDescs = [3]*prometheus.Desc{
		prometheus.NewDesc("mailer_delivered_last_day", "Messages of sends the relay took in the last 24 hours, from the store, whichever process sent them.", []string{"list"}, nil),
		prometheus.NewDesc("mailer_refused_last_day", "Messages of sends the relay refused for good (5xx) in the last 24 hours, from the store.", []string{"list"}, nil),
		prometheus.NewDesc("mailer_complaints_last_day", "Spam complaints received in the last 24 hours, from the store, whichever process took them.", []string{"list"}, nil),
	}
	pausedDesc = prometheus.NewDesc("mailer_send_paused", "Running sends that are paused, by who paused them: mailer (the circuit breaker) or a person.",
		[]string{"list", "by"}, nil)
)

// storeCollector reads the gauges from the store at each scrape: the
// members (one grouped query) and the running sends, right whichever
// process (the CLI, a mail, the web) changed them.
type storeCollector struct {
	m  *Metrics
	st Store
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{membersDesc, recipientsDesc, rateDesc, pausedDesc, dayDescs[0], dayDescs[1], dayDescs[2]} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	counts, err := c.st.MemberCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(membersDesc, err)
		return
	}
	for list, byStatus := range counts {
		c.m.knownList(list)
		for _, st := range store.Statuses {
			ch <- prometheus.MustNewConstMetric(membersDesc, prometheus.GaugeValue, float64(byStatus[st]), list, string(st))
		}
	}
	c.collectDay(ctx, ch, counts)
	sends, err := c.st.RunningSends(ctx, c.m.now().Add(-rateWindow))
	if err != nil {
		ch <- prometheus.NewInvalidMetric(recipientsDesc, err)
		return
	}
	c.collectSends(ch, sends)
}

// collectDay emits the last day's deliveries, refusals and complaints of
// every list, at zero for a quiet one.
func (c *storeCollector) collectDay(ctx context.Context, ch chan<- prometheus.Metric, lists map[string]map[store.Status]int) {
	day, err := c.st.ListWindows(ctx, c.m.now().Add(-dayWindow))
	if err != nil {
		ch <- prometheus.NewInvalidMetric(dayDescs[0], err)
		return
	}
	for list := range lists {
		w := day[list]
		for i, n := range []int{w.Delivered, w.Refused, w.Complaints} {
			ch <- prometheus.MustNewConstMetric(dayDescs[i], prometheus.GaugeValue, float64(n), list)
		}
	}
}

// collectSends emits the running sends' gauges, per list.
func (c *storeCollector) collectSends(ch chan<- prometheus.Metric, sends []store.RunningSend) {
	for list, s := range byList(sends) {
		for state, n := range map[string]int{"queued": s.Counts.Queued, "sending": s.Counts.Sending, "sent": s.Counts.Sent,
			"deferred": s.Counts.Deferred, "failed": s.Counts.Failed, "skipped": s.Counts.Skipped} {
			ch <- prometheus.MustNewConstMetric(recipientsDesc, prometheus.GaugeValue, float64(n), list, state)
		}
		ch <- prometheus.MustNewConstMetric(rateDesc, prometheus.GaugeValue, float64(s.sent)/rateWindow.Seconds(), list)
		ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, float64(s.byMailer), list, "mailer")
		ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, float64(s.byPerson), list, "person")
	}
}

// listSends are a list's running sends added up (a list may run two
// issues at once).
type listSends struct {
	Counts             delivery.Counts
	sent               int
	byMailer, byPerson int
}

func byList(sends []store.RunningSend) map[string]*listSends {
	out := map[string]*listSends{}
	for _, s := range sends {
		l := out[s.List]
		if l == nil {
			l = &listSends{}
			out[s.List] = l
		}
		c, n := &l.Counts, s.Counts
		c.Queued, c.Sending, c.Sent = c.Queued+n.Queued, c.Sending+n.Sending, c.Sent+n.Sent
		c.Deferred, c.Failed, c.Skipped = c.Deferred+n.Deferred, c.Failed+n.Failed, c.Skipped+n.Skipped
		l.sent += s.SentSince
		switch {
		case s.Paused && s.ByMailer:
			l.byMailer++
		case s.Paused:
			l.byPerson++
		}
	}
	return out
}
