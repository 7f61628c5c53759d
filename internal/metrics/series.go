package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"mailer/internal/inbound"
)

// The fixed label values.
var (
	// messageResults: what became of an attempt (messageResult).
	messageResults = []string{"delivered", "deferred", "bounced", "failed", "throttled"}
	// confirmActions: what a confirmation asks to confirm.
	confirmActions = []string{"subscribe", "unsubscribe"}
	// replyClasses: an SMTP reply's first digit, or no reply at all.
	replyClasses = []string{"2xx", "4xx", "5xx", "error"}
	// smtpSteps: opening a session (connect, TLS, AUTH), and one
	// message's transaction (MAIL FROM to the end of DATA).
	smtpSteps = []string{"connect", "message"}
)

// counters registers the series the workflows count, and makes those
// without a list label exist at zero.
func (m *Metrics) counters() {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	m.messages = counter("mailer_messages_total", "Messages of sends by outcome: delivered, deferred (a 4xx, tried again), bounced (refused with a 5xx), failed (given up otherwise), throttled (the relay asked to slow down).", "list", "result")
	m.bounces = counter("mailer_bounces_total", "Bounces counted against members (reports and refusals while sending), by kind: hard or soft.", "list", "kind")
	m.complaints = counter("mailer_complaints_total", "Spam complaints that stopped a member (ARF reports, relay events).", "list")
	m.commands = counter("mailer_inbound_commands_total", "Commands read from mail to the command address, by verb and result (ok, refused, invalid, error).", "verb", "result")
	m.confirmSent = counter("mailer_confirmations_sent_total", "Confirmation requests handed to the transport.", "list", "action")
	m.confirmDone = counter("mailer_confirmations_completed_total", "Confirmations used: the change they asked for made.", "list", "action")
	m.smtpReplies = counter("mailer_smtp_replies_total", "Replies of the mail server by class (2xx, 4xx, 5xx; error: no reply, the connection failed), per step.", "step", "class")
	m.httpRequests = counter("mailer_http_requests_total", "HTTP requests by listener (web, admin), route (the pattern that served it) and status code.", "listener", "route", "code")
	m.smtpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mailer_smtp_command_duration_seconds",
		Help:    "How long the mail server took: to open a session (connect), to take one message (message; the time the sender held the message's end to record the last one left out).",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"step"})
	m.httpDurations = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mailer_http_request_duration_seconds",
		Help: "How long an HTTP request took to answer, by listener and route.", Buckets: prometheus.DefBuckets}, []string{"listener", "route"})
	m.reg.MustRegister(m.smtpDuration, m.httpDurations)
	for _, v := range inbound.Verbs {
		for _, r := range inbound.Results {
			m.commands.WithLabelValues(v, r)
		}
	}
	for _, s := range smtpSteps {
		for _, c := range replyClasses {
			m.smtpReplies.WithLabelValues(s, c)
		}
		m.smtpDuration.WithLabelValues(s)
	}
}

// Bounced counts a bounce against a member of list (bounces.Observer).
func (m *Metrics) Bounced(list string, hard bool) {
	m.knownList(list)
	kind := "soft"
	if hard {
		kind = "hard"
	}
	m.bounces.WithLabelValues(list, kind).Inc()
}

// Complained counts a complaint that stopped a member (bounces.Observer).
func (m *Metrics) Complained(list string) {
	m.knownList(list)
	m.complaints.WithLabelValues(list).Inc()
}

// Command counts one command of a mail (inbound.Observer). A verb or
// result outside the known sets is counted as unknown or error, so that
// a label never takes a value from elsewhere.
func (m *Metrics) Command(verb, result string) {
	m.commands.WithLabelValues(oneOf(verb, inbound.Verbs, inbound.VerbUnknown), oneOf(result, inbound.Results, inbound.ResultError)).Inc()
}

// ConfirmationSent counts a confirmation request sent (optin.Observer).
func (m *Metrics) ConfirmationSent(list, action string) {
	m.knownList(list)
	m.confirmSent.WithLabelValues(list, oneOf(action, confirmActions, "subscribe")).Inc()
}

// Confirmed counts a confirmation used (optin.Observer).
func (m *Metrics) Confirmed(list, action string) {
	m.knownList(list)
	m.confirmDone.WithLabelValues(list, oneOf(action, confirmActions, "subscribe")).Inc()
}

// oneOf is v when it is one of set, else other.
func oneOf(v string, set []string, other string) string {
	for _, s := range set {
		if s == v {
			return v
		}
	}
	return other
}
