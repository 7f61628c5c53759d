package serve

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"mailer/internal/app"
	"mailer/internal/bounces"
	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/dkimsign"
	"mailer/internal/optin"
	"mailer/internal/pgtest"
	"mailer/internal/sending"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
	"mailer/internal/token"
	"mailer/templates"
)

// metricsEnv is the program's graph on a fresh store with issue-06 in its
// issues directory, every mail (its own and the sends') going to the test
// SMTP server, a clock the test moves, and `mailer serve` running its web,
// admin and LMTP listeners (the daemon is ticked by the test).
type metricsEnv struct {
	app      *app.App
	srv      *smtptest.Server
	addrs    Addrs
	location string // the database, for another process to open
	token    string // a read token of every list, as Prometheus is given

	mu  sync.Mutex
	now time.Time
}

func newMetricsEnv(t *testing.T) *metricsEnv {
	src, err := os.ReadFile("../render/testdata/issue-06.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "issues"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "issues", "issue-06.md"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	e := &metricsEnv{srv: smtptest.Start(t), now: time.Now().UTC().Truncate(time.Second)}
	cfg := testwire.Config(testwire.Options{BounceThreshold: 1}) // one refusal stops a member
	cfg.Dir, cfg.Transport.Kind, cfg.Rate.PerSecond = dir, "smtp", 0
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS = e.srv.Host, e.srv.Port, config.TLSNone
	e.location = pgtest.Location(t, "serve.db")
	db, err := store.Open(context.Background(), e.location, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = e.clock
	if e.app, err = app.Build(cfg, db, app.Options{Now: e.clock, Templates: templates.FS, Version: "v9.8.7-test"}); err != nil {
		t.Fatal(err)
	}
	from := "Editor <editor@example.org>"
	if _, err := db.CreateList(context.Background(), "news", store.ListSettings{From: &from}); err != nil {
		t.Fatal(err)
	}
	if e.token, err = e.app.Auth.CreateToken(context.Background(), "prometheus", "read", "", store.Evidence{Operator: "test"}); err != nil {
		t.Fatal(err)
	}
	addrs, stop := startRun(t, e.app, Options{HTTP: "127.0.0.1:0", Admin: "127.0.0.1:0", LMTP: "127.0.0.1:0", NoDeliver: true, Out: &syncBuffer{}})
	t.Cleanup(func() { stop() })
	e.addrs = addrs
	return e
}

// get asks the admin listener's /metrics with authorization (none: "").
func (e *metricsEnv) get(t *testing.T, authorization string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+e.addrs.Admin+"/metrics", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (e *metricsEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *metricsEnv) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// scrape reads the admin listener's /metrics over its socket and parses
// it as Prometheus does.
func (e *metricsEnv) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	res := e.get(t, "Bearer "+e.token)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value is the sample of family name whose labels are exactly labels
// ("k=v" pairs); ok is false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		var got []string
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		if strings.Join(got, ",") != strings.Join(labels, ",") {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func expect(t *testing.T, fams map[string]*dto.MetricFamily, want float64, name string, labels ...string) {
	t.Helper()
	got, ok := value(fams, name, labels...)
	if !ok || got != want {
		t.Errorf("%s{%s} = %v (present %v), want %v", name, strings.Join(labels, ","), got, ok, want)
	}
}

// lmtpDeliver hands a mail to the running LMTP listener, as Postfix does.
func (e *metricsEnv) lmtpDeliver(t *testing.T, from, rcpt, raw string) {
	t.Helper()
	smtptest.DeliverLMTP(t, e.addrs.LMTP, from, rcpt, raw)
}

// TestMetricsZeroBeforeTraffic: before anything happened, the counters of
// every known list and enum value are there at zero, the member gauges
// show the empty list, and build info says which mailer runs.
func TestMetricsZeroBeforeTraffic(t *testing.T) {
	e := newMetricsEnv(t)
	fams := e.scrape(t)
	for _, r := range []string{"delivered", "deferred", "bounced", "failed", "throttled"} {
		expect(t, fams, 0, "mailer_messages_total", "list=news", "result="+r)
	}
	expect(t, fams, 0, "mailer_bounces_total", "kind=hard", "list=news")
	expect(t, fams, 0, "mailer_bounces_total", "kind=soft", "list=news")
	expect(t, fams, 0, "mailer_complaints_total", "list=news")
	expect(t, fams, 0, "mailer_confirmations_sent_total", "action=subscribe", "list=news")
	expect(t, fams, 0, "mailer_confirmations_completed_total", "action=unsubscribe", "list=news")
	for _, v := range []string{"subscribe", "unsubscribe", "confirm", "help", "unknown"} {
		for _, r := range []string{"ok", "refused", "invalid", "error"} {
			expect(t, fams, 0, "mailer_inbound_commands_total", "result="+r, "verb="+v)
		}
	}
	for _, c := range []string{"2xx", "4xx", "5xx", "error"} {
		expect(t, fams, 0, "mailer_smtp_replies_total", "class="+c, "step=message")
	}
	for _, st := range store.Statuses {
		expect(t, fams, 0, "mailer_members", "list=news", "status="+string(st))
	}
	for _, name := range []string{"mailer_delivered_last_day", "mailer_refused_last_day", "mailer_complaints_last_day"} {
		expect(t, fams, 0, name, "list=news")
	}
	if _, ok := value(fams, "mailer_build_info", "goversion="+runtimeVersion(fams), "version=v9.8.7-test"); !ok {
		t.Errorf("build info: %v", fams["mailer_build_info"])
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	if fams["mailer_send_recipients"] != nil {
		t.Errorf("send gauges with no send running: %v", fams["mailer_send_recipients"])
	}
}

// runtimeVersion is the goversion label build info carries.
func runtimeVersion(fams map[string]*dto.MetricFamily) string {
	for _, m := range fams["mailer_build_info"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "goversion" && strings.HasPrefix(l.GetValue(), "go") {
				return l.GetValue()
			}
		}
	}
	return "missing"
}

var confirmAddr = regexp.MustCompile(`news-confirm\+([a-z2-7]+)@`)

// TestMetricsAfterRealTraffic: what the workflows did shows in the
// exposition scraped from the admin listener — members added by an owner
// and one who joined by mail and confirmed, the commands of the mail, the
// confirmations, a send by the daemon to the SMTP server with one
// recipient refused, the bounce it counted, a reader's page by its route —
// and no label anywhere carries an address or a token.
func TestMetricsAfterRealTraffic(t *testing.T) {
	e := newMetricsEnv(t)
	ctx := context.Background()
	a := e.app
	l := testwire.ListOf(t, a.DB, "news")
	// `mailer subscribers add` in a process of its own: its own connection
	// to the database, the owners' workflow it calls.
	cliDB, err := store.Open(ctx, e.location, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	added, err := optin.NewOwners(cliDB).Add(ctx, testwire.ListOf(t, cliDB, "news"),
		[]string{"ann@example.org", "bob@example.org", "refused@example.org"}, "", false, store.Evidence{Source: store.SourceAdmin, Operator: "test"})
	cliDB.Close()
	if err != nil || len(added) != 3 {
		t.Fatalf("subscribers add: %+v, %v", added, err)
	}
	e.lmtpDeliver(t, "carol@example.org", "majordomo@lists.example.org",
		"From: carol@example.org\nSubject: hello\nMessage-ID: <sub-1@example.org>\n\nsubscribe news\nfrobnicate\n")
	fams := e.scrape(t)
	expect(t, fams, 3, "mailer_members", "list=news", "status=active")
	expect(t, fams, 1, "mailer_members", "list=news", "status=pending") // carol, until she confirms
	var code string
	for _, m := range e.srv.Messages() {
		if s := confirmAddr.FindStringSubmatch(string(m.Data)); s != nil && m.To[0] == "carol@example.org" {
			code = s[1]
		}
	}
	if code == "" {
		t.Fatalf("no confirmation request for carol among %d messages", len(e.srv.Messages()))
	}
	e.lmtpDeliver(t, "carol@example.org", "news-confirm+"+code+"@lists.example.org",
		"From: carol@example.org\nSubject: Re: confirm\nMessage-ID: <conf-1@example.org>\n\nyes\n")

	// The daemon starts a due schedule and sends it; one recipient is refused.
	e.srv.Fail("refused@example.org", smtptest.Fault{Stage: "RCPT", Code: 550})
	job, err := sending.Open(ctx, a.Config, a.DB, "issue-06", "news", e.clock)
	if err != nil {
		t.Fatal(err)
	}
	p, err := job.Prepare(ctx, sending.PlanOptions{Rate: -1}, false, func() (delivery.Transport, *dkimsign.Signer, string, error) {
		return app.SendTransport(a.Config)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Schedule(ctx, e.clock().Add(time.Hour), store.Evidence{Operator: "test"}); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Hour + time.Second)
	if err := a.Daemon().Tick(ctx); err != nil {
		t.Fatal(err)
	}

	// bob reports the issue as spam (as an ARF report or a relay's event would).
	if err := a.Bounces.Complain(ctx, l, "bob@example.org", bounces.Complaint{FeedbackType: "abuse", Provider: "test"}); err != nil {
		t.Fatal(err)
	}

	// A reader's page, by its signed token.
	m, err := a.DB.GetMember(ctx, l, "ann@example.org")
	if err != nil {
		t.Fatal(err)
	}
	tok := a.Tokens.Make(token.Membership{ListID: l.ID, SubscriberID: m.SubscriberID})
	res, err := http.Get("http://" + e.addrs.HTTP + "/u/" + tok)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("unsubscribe page: %v %v", err, res)
	}
	res.Body.Close()

	fams = e.scrape(t)
	expect(t, fams, 2, "mailer_members", "list=news", "status=active")     // ann, carol
	expect(t, fams, 1, "mailer_members", "list=news", "status=bounced")    // refused: one refusal stops
	expect(t, fams, 1, "mailer_members", "list=news", "status=complained") // bob
	expect(t, fams, 1, "mailer_complaints_total", "list=news")
	expect(t, fams, 0, "mailer_members", "list=news", "status=pending")
	expect(t, fams, 1, "mailer_inbound_commands_total", "result=ok", "verb=subscribe")
	expect(t, fams, 1, "mailer_inbound_commands_total", "result=invalid", "verb=unknown")
	expect(t, fams, 1, "mailer_confirmations_sent_total", "action=subscribe", "list=news")
	expect(t, fams, 1, "mailer_confirmations_completed_total", "action=subscribe", "list=news")
	expect(t, fams, 3, "mailer_messages_total", "list=news", "result=delivered") // ann, bob, carol
	expect(t, fams, 1, "mailer_messages_total", "list=news", "result=bounced")
	expect(t, fams, 0, "mailer_messages_total", "list=news", "result=failed")
	expect(t, fams, 1, "mailer_bounces_total", "kind=hard", "list=news")
	expect(t, fams, 3, "mailer_delivered_last_day", "list=news") // the same, read from the store
	expect(t, fams, 1, "mailer_refused_last_day", "list=news")
	expect(t, fams, 1, "mailer_complaints_last_day", "list=news")
	expect(t, fams, 1, "mailer_smtp_replies_total", "class=5xx", "step=message")
	if n, _ := value(fams, "mailer_smtp_replies_total", "class=2xx", "step=message"); n < 3+2 {
		t.Errorf("2xx replies to messages: %v, want the 3 issue copies and the confirmation and welcome at least", n)
	}
	if n, _ := value(fams, "mailer_smtp_command_duration_seconds", "step=message"); n < 6 {
		t.Errorf("message durations observed: %v", n)
	}
	expect(t, fams, 1, "mailer_http_requests_total", "code=200", "listener=web", "route=GET /u/{token}")
	if n, _ := value(fams, "mailer_http_request_duration_seconds", "listener=web", "route=GET /u/{token}"); n != 1 {
		t.Errorf("web durations: %v", n)
	}
	expect(t, fams, 1, "mailer_http_requests_total", "code=200", "listener=admin", "route=/metrics") // the scrape before
	if fams["mailer_send_recipients"] != nil {
		t.Errorf("the finished send still shows as running: %v", fams["mailer_send_recipients"])
	}
	noPrivateLabels(t, fams, tok, code, "@", "example.org")
}

// noPrivateLabels: no label value holds an address, a token or a code.
func noPrivateLabels(t *testing.T, fams map[string]*dto.MetricFamily, secrets ...string) {
	t.Helper()
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				for _, s := range secrets {
					if strings.Contains(l.GetValue(), s) {
						t.Errorf("%s{%s=%q} carries %q", name, l.GetName(), l.GetValue(), s)
					}
				}
			}
		}
	}
}

// TestMetricsNeedAToken: the series name every list, and the admin
// listener may sit behind the console's reverse proxy: no token, a wrong
// or revoked one 401 (with WWW-Authenticate), a token of one list 403;
// none of them gets a series.
func TestMetricsNeedAToken(t *testing.T) {
	e := newMetricsEnv(t)
	ctx := context.Background()
	one, err := e.app.Auth.CreateToken(ctx, "news-only", "read", "news", store.Evidence{Operator: "test"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := e.app.Auth.CreateToken(ctx, "gone", "read", "", store.Evidence{Operator: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Auth.RevokeToken(ctx, "gone", store.Evidence{Operator: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		authorization string
		status        int
	}{
		{"", http.StatusUnauthorized},
		{"Basic dXNlcjpwYXNz", http.StatusUnauthorized},
		{"Bearer mlr_wrong", http.StatusUnauthorized},
		{"Bearer " + gone, http.StatusUnauthorized},
		{"Bearer " + one, http.StatusForbidden},
		{"Bearer " + e.token, http.StatusOK},
	} {
		res := e.get(t, c.authorization)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("%.20q: %d, want %d", c.authorization, res.StatusCode, c.status)
		}
		if c.status == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%.20q: 401 without WWW-Authenticate", c.authorization)
		}
		if c.status != http.StatusOK && strings.Contains(string(body), "mailer_members") {
			t.Errorf("%.20q: the series were served", c.authorization)
		}
	}
}
