// Package metrics is mailer's /metrics in Prometheus' text format, through
// the official client library. The workflows declare the small observer
// each calls (sending.Observer, bounces.Observer, inbound.Observer,
// optin.Observer) and Metrics implements them all; the member counts and
// the running sends are read from the store at scrape time, so they are
// right whichever process changed them. Everything is registered on a
// registry of its own, never the library's default one, and every label
// takes its value from a small fixed set or a list name: never an address,
// a path or a free-text reason.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"mailer/internal/delivery"
	"mailer/internal/store"
)

// Store is what the scrape reads: the member counts and the running sends.
type Store interface {
	MemberCounts(ctx context.Context) (map[string]map[store.Status]int, error)
	RunningSends(ctx context.Context, since time.Time) ([]store.RunningSend, error)
	ListWindows(ctx context.Context, since time.Time) (map[string]store.ListWindow, error)
}

// Options tune New; the zero value is fine.
type Options struct {
	Now    func() time.Time // nil: time.Now
	Logger *slog.Logger     // nil: discard
}

// Metrics owns the registry and every series on it.
type Metrics struct {
	reg     *prometheus.Registry // the process's series: counters, Go, process, build info
	scraped *prometheus.Registry // the store's gauges, read at each scrape, gathered first
	now     func() time.Time
	log     *slog.Logger

	messages      *prometheus.CounterVec
	smtpReplies   *prometheus.CounterVec
	smtpDuration  *prometheus.HistogramVec
	bounces       *prometheus.CounterVec
	complaints    *prometheus.CounterVec
	commands      *prometheus.CounterVec
	confirmSent   *prometheus.CounterVec
	confirmDone   *prometheus.CounterVec
	httpRequests  *prometheus.CounterVec
	httpDurations *prometheus.HistogramVec

	mu    sync.Mutex
	lists map[string]bool // the lists whose counters exist (at zero or more)
}

// New builds the series on a registry of their own, with the Go runtime's
// and the process's collectors and mailer_build_info. st may be nil: then
// the store's gauges are left out (a test of the counters alone).
func New(version string, st Store, o Options) *Metrics {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry(), scraped: prometheus.NewRegistry(), now: o.Now, log: o.Logger, lists: map[string]bool{}}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mailer_build_info",
		Help:        "Always 1; the labels say which mailer runs, built with which Go.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()}}, func() float64 { return 1 }))
	m.counters()
	if st != nil {
		m.scraped.MustRegister(&storeCollector{m: m, st: st})
	}
	return m
}

// Registry is the registry of the process's series, for a test or a
// caller that adds its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the exposition. The store's gauges are gathered first:
// reading them makes the counters of a list created since the last scrape
// exist, at zero, in this very scrape. A failure to gather (the store is
// down) is logged and counted in promhttp_metric_handler_errors_total, and
// the rest is served: a scrape never panics and never loses every series.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(prometheus.Gatherers{m.scraped, m.reg}, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError, ErrorLog: logAdapter{m.log}, Registry: m.reg,
		Timeout: 20 * time.Second, // Prometheus' default scrape timeout is 10 s: answer before a stuck store holds it for ever
	})
}

// logAdapter is promhttp's Logger on slog.
type logAdapter struct{ log *slog.Logger }

func (l logAdapter) Println(v ...any) { l.log.Warn("metrics", "err", v) }

// knownList makes every counter of list exist, at zero when nothing was
// counted yet, so that a rate over it is defined from the start.
func (m *Metrics) knownList(list string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lists[list] {
		return
	}
	m.lists[list] = true
	for _, r := range messageResults {
		m.messages.WithLabelValues(list, r)
	}
	m.bounces.WithLabelValues(list, "hard")
	m.bounces.WithLabelValues(list, "soft")
	m.complaints.WithLabelValues(list)
	for _, a := range confirmActions {
		m.confirmSent.WithLabelValues(list, a)
		m.confirmDone.WithLabelValues(list, a)
	}
}

// Delivery counts one recorded outcome of a send (sending.Observer).
func (m *Metrics) Delivery(list string, r delivery.Result) {
	if res := messageResult(r); res != "" {
		m.knownList(list)
		m.messages.WithLabelValues(list, res).Inc()
	}
}

// messageResult is the result label of an outcome; "" for a message given
// back unattempted (the send stopped), which is no outcome.
func messageResult(r delivery.Result) string {
	switch {
	case r.Outcome == delivery.Sent:
		return "delivered"
	case r.Outcome == delivery.Deferred:
		return "deferred"
	case r.Outcome == delivery.Failed && r.Permanent:
		return "bounced" // refused with a 5xx: counted against the member as a hard bounce
	case r.Outcome == delivery.Failed:
		return "failed"
	case r.Throttled:
		return "throttled"
	}
	return ""
}
