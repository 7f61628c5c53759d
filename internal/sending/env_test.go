package sending_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/app"
	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/dkimsign"
	"mailer/internal/sending"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// env is a configuration whose issues directory holds issue-06, a real
// SQLite store with the list "news", and the test SMTP server as relay.
type env struct {
	t   *testing.T
	cfg *config.Config
	db  *store.DB
	srv *smtptest.Server

	mu  sync.Mutex
	now time.Time // the clock of the store, the plans and the daemon
}

// newEnv makes the env with active readers reader0..reader{n-1}, and one
// pending and one unsubscribed address who must get nothing.
func newEnv(t *testing.T, n int) *env {
	src, err := os.ReadFile("../render/testdata/issue-06.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "issues"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "issues", "issue-06.md"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := smtptest.Start(t)
	cfg := testwire.Config(testwire.Options{})
	cfg.Dir, cfg.Transport.Kind, cfg.Rate.PerSecond = dir, "smtp", 0
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS = srv.Host, srv.Port, config.TLSNone
	cfg.Send.Retry = []config.Duration{config.Duration(10 * time.Millisecond)}
	e := &env{t: t, cfg: cfg, srv: srv, now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	e.db, err = store.Open(context.Background(), filepath.Join(dir, "mailer.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	e.db.Now = e.clock
	from := "Editor <editor@example.org>"
	if _, err := e.db.CreateList(context.Background(), "news", store.ListSettings{From: &from}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		e.member(reader(i), store.Active)
	}
	e.member("pending@example.org", store.Pending)
	e.member("left@example.org", store.Active)
	e.member("left@example.org", store.Unsubscribed)
	return e
}

func reader(i int) string { return "reader" + string(rune('0'+i)) + "@example.org" }

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) setClock(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = t
}

func (e *env) list() *store.List {
	e.t.Helper()
	l, err := e.db.GetList(context.Background(), "news")
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

func (e *env) member(addr string, st store.Status) {
	e.t.Helper()
	a, err := address.Parse(addr)
	if err == nil {
		_, err = e.db.SetStatus(context.Background(), e.list(), a, st, store.Evidence{Source: store.SourceAdmin})
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

// transports is the configured transport, as the commands and serve use it.
func (e *env) transports() (delivery.Transport, *dkimsign.Signer, string, error) {
	return app.SendTransport(e.cfg)
}

// plan prepares a send of issue-06 to news, as `mailer send` does.
func (e *env) plan(o sending.PlanOptions) (*sending.Plan, error) {
	e.t.Helper()
	job, err := sending.Open(context.Background(), e.cfg, e.db, "issue-06", "news", e.clock)
	if err != nil {
		e.t.Fatal(err)
	}
	if o.Rate == 0 {
		o.Rate = -1 // the config's
	}
	return job.Prepare(context.Background(), o, false, e.transports)
}

func (e *env) mustPlan(o sending.PlanOptions) *sending.Plan {
	e.t.Helper()
	p, err := e.plan(o)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// run runs the plan to its end, with what it said.
func (e *env) run(p *sending.Plan, resendFailed bool) (sending.Outcome, *said, error) {
	s := &said{}
	out, err := p.Run(context.Background(), sending.RunOptions{Progress: s, ResendFailed: resendFailed, Now: e.clock})
	return out, s, err
}

func (e *env) daemon(log *lockedWriter) *sending.Daemon {
	return &sending.Daemon{Config: e.cfg, DB: e.db, Transport: e.transports, Now: e.clock,
		Log: slog.New(slog.NewTextHandler(log, nil)), WaitLimit: time.Minute}
}

// said is a run's progress as lines: what a person would be told.
type said struct {
	mu    sync.Mutex
	lines []string
	sent  int
}

func (s *said) Begin(delivery.Counts) {}
func (s *said) Result(_ delivery.Job, r delivery.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Outcome == delivery.Sent {
		s.sent++
	}
}
func (s *said) Pause(time.Time) {}
func (s *said) Wait(time.Time)  {}
func (s *said) Say(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, line)
}
func (s *said) End() {}

// lockedWriter lets the daemon's goroutines log to one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
