package metrics_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"mailer/internal/address"
	"mailer/internal/delivery"
	"mailer/internal/metrics"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

// The store's gauges run on SQLite, then on PostgreSQL.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// scrape serves m's handler on a real socket and parses what it answers.
func scrape(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// sample is the value of name's sample with exactly labels ("k=v", in
// name order), and whether there is one.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	for _, m := range fams[name].GetMetric() {
		var got []string
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		if strings.Join(got, ",") == strings.Join(labels, ",") {
			if m.Counter != nil {
				return m.GetCounter().GetValue(), true
			}
			if m.Histogram != nil {
				return float64(m.GetHistogram().GetSampleCount()), true
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

func want(t *testing.T, fams map[string]*dto.MetricFamily, v float64, name string, labels ...string) {
	t.Helper()
	if got, ok := sample(fams, name, labels...); !ok || got != v {
		t.Errorf("%s{%s} = %v (present %v), want %v", name, strings.Join(labels, ","), got, ok, v)
	}
}

// TestStoreDownStillServes: a store that cannot answer costs the scrape
// its store gauges, not the rest: the answer is 200 with the counters, and
// the failure is counted.
func TestStoreDownStillServes(t *testing.T) {
	db, err := store.Open(context.Background(), pgtest.Location(t, "m.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close() // every query now fails
	m := metrics.New("v1", db, metrics.Options{})
	fams := scrape(t, m)
	if fams["mailer_members"] != nil {
		t.Errorf("member gauges from a closed store: %v", fams["mailer_members"])
	}
	want(t, fams, 1, "mailer_build_info", "goversion="+goVersion(fams), "version=v1")
	want(t, fams, 0, "mailer_inbound_commands_total", "result=ok", "verb=subscribe")
	fams = scrape(t, m)
	want(t, fams, 1, "promhttp_metric_handler_errors_total", "cause=gathering") // the first scrape's
}

func goVersion(fams map[string]*dto.MetricFamily) string {
	for _, l := range fams["mailer_build_info"].GetMetric()[0].GetLabel() {
		if l.GetName() == "goversion" {
			return l.GetValue()
		}
	}
	return ""
}

// TestTransportCountsReplies: messages through the wrapped transport to
// the test SMTP server count by the class of its reply — taken, refused
// for good, refused for now — and a server that is not there counts as a
// connect error; each is timed.
func TestTransportCountsReplies(t *testing.T) {
	srv := smtptest.Start(t)
	srv.Fail("gone@example.org", smtptest.Fault{Stage: "RCPT", Code: 550})
	srv.Fail("later@example.org", smtptest.Fault{Stage: "RCPT", Code: 451})
	m := metrics.New("v1", nil, metrics.Options{})
	inner, err := smtpsend.New(smtpsend.Options{Host: srv.Host, Port: srv.Port, TLS: smtpsend.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := m.Transport(inner).Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhi\r\n")
	for _, to := range []string{"ok@example.org", "gone@example.org", "later@example.org", "ok2@example.org"} {
		sess.Send(delivery.Envelope{From: "list-bounces@example.org", To: to}, msg, nil)
	}
	sess.Close()
	if len(srv.Messages()) != 2 {
		t.Fatalf("server took %d messages, want 2", len(srv.Messages()))
	}
	closed, _ := smtpsend.New(smtpsend.Options{Host: "127.0.0.1", Port: closedPort(t), TLS: smtpsend.TLSNone})
	if _, err := m.Transport(closed).Dial(context.Background()); err == nil {
		t.Fatal("dialled a closed port")
	}
	fams := scrape(t, m)
	want(t, fams, 2, "mailer_smtp_replies_total", "class=2xx", "step=message")
	want(t, fams, 1, "mailer_smtp_replies_total", "class=5xx", "step=message")
	want(t, fams, 1, "mailer_smtp_replies_total", "class=4xx", "step=message")
	want(t, fams, 0, "mailer_smtp_replies_total", "class=error", "step=message")
	want(t, fams, 1, "mailer_smtp_replies_total", "class=2xx", "step=connect")
	want(t, fams, 1, "mailer_smtp_replies_total", "class=error", "step=connect")
	want(t, fams, 4, "mailer_smtp_command_duration_seconds", "step=message")
	want(t, fams, 2, "mailer_smtp_command_duration_seconds", "step=connect")
}

// closedPort is a port on loopback nobody listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestHTTPCountsRoutes: requests count by the pattern that served them,
// never the path with its token; a path no pattern matches is
// "unmatched", and a handler that panics counts as a 500.
func TestHTTPCountsRoutes(t *testing.T) {
	m := metrics.New("v1", nil, metrics.Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /u/{token}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("page")) })
	mux.HandleFunc("POST /u/{token}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusSeeOther) })
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	srv := httptest.NewServer(m.HTTP("web", mux))
	defer srv.Close()
	for _, req := range []struct{ method, path string }{{"GET", "/u/secret-token-1"}, {"GET", "/u/secret-token-2"},
		{"POST", "/u/secret-token-1"}, {"GET", "/nothing-here"}, {"GET", "/boom"}} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, nil)
		res, err := http.DefaultClient.Do(r)
		if err == nil {
			res.Body.Close()
		}
	}
	fams := scrape(t, m)
	want(t, fams, 2, "mailer_http_requests_total", "code=200", "listener=web", "route=GET /u/{token}")
	want(t, fams, 1, "mailer_http_requests_total", "code=303", "listener=web", "route=POST /u/{token}")
	want(t, fams, 1, "mailer_http_requests_total", "code=404", "listener=web", "route=unmatched")
	want(t, fams, 1, "mailer_http_requests_total", "code=500", "listener=web", "route=GET /boom")
	want(t, fams, 2, "mailer_http_request_duration_seconds", "listener=web", "route=GET /u/{token}")
	for _, mt := range fams["mailer_http_requests_total"].GetMetric() {
		for _, l := range mt.GetLabel() {
			if strings.Contains(l.GetValue(), "secret") || strings.Contains(l.GetValue(), "nothing-here") {
				t.Errorf("a label carries the path: %s=%q", l.GetName(), l.GetValue())
			}
		}
	}
}

// TestStoreGauges: members and a running send as the store has them at
// scrape time — its messages by state, the rate of the last minute, and a
// pause by the circuit breaker told from a person's — and nothing of the
// send once it is finished.
func TestStoreGauges(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(t, "m.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	l, err := db.CreateList(ctx, "news", store.ListSettings{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"} {
		ad, _ := address.Parse(a)
		db.SetStatus(ctx, l, ad, store.Active, store.Evidence{Source: store.SourceAdmin})
	}
	send, err := db.StartSend(ctx, store.NewSend{Issue: "i1", ListID: l.ID, Subject: "S", ContentHash: "h", MsgIDNonce: "n",
		MsgIDDomain: "example.org", LeaseOwner: "me", LeaseUntil: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	q := db.Queue(send.ID)
	jobs, _ := q.Exchange(ctx, nil, 3, now)
	q.Exchange(ctx, []delivery.Result{{JobID: jobs[0].ID, Outcome: delivery.Sent, At: now},
		{JobID: jobs[1].ID, Outcome: delivery.Sent, At: now},
		{JobID: jobs[2].ID, Outcome: delivery.Deferred, NextAttempt: now.Add(time.Hour), At: now}}, 0, now)
	if err := db.PauseFor(ctx, send.ID, "hard bounces over 10%"); err != nil {
		t.Fatal(err)
	}
	m := metrics.New("v1", db, metrics.Options{Now: func() time.Time { return now.Add(30 * time.Second) }})
	fams := scrape(t, m)
	want(t, fams, 4, "mailer_members", "list=news", "status=active")
	for state, n := range map[string]float64{"queued": 1, "sending": 0, "sent": 2, "deferred": 1, "failed": 0, "skipped": 0} {
		want(t, fams, n, "mailer_send_recipients", "list=news", "state="+state)
	}
	want(t, fams, 2.0/60, "mailer_send_rate_per_second", "list=news")
	want(t, fams, 2, "mailer_delivered_last_day", "list=news")
	want(t, fams, 0, "mailer_refused_last_day", "list=news")
	want(t, fams, 0, "mailer_complaints_last_day", "list=news")
	want(t, fams, 1, "mailer_send_paused", "by=mailer", "list=news")
	want(t, fams, 0, "mailer_send_paused", "by=person", "list=news")
	if _, err := db.FinishSend(ctx, send.ID); err != nil {
		t.Fatal(err)
	}
	fams = scrape(t, m)
	if fams["mailer_send_recipients"] != nil || fams["mailer_send_paused"] != nil {
		t.Errorf("a finished send still shows: %v", fams["mailer_send_recipients"])
	}
	want(t, fams, 0, "mailer_messages_total", "list=news", "result=delivered") // counted by the sender's process, not read back
}
