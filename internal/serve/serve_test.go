package serve

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mailer/internal/app"
	"mailer/internal/delivery"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// newApp builds the program's graph on a fresh store, mailing through the
// test SMTP server.
func newApp(t *testing.T) *app.App {
	t.Helper()
	a, _ := newAppWithRelay(t)
	return a
}

// newAppWithRelay is newApp and the SMTP server its mail goes to.
func newAppWithRelay(t *testing.T) (*app.App, *smtptest.Server) {
	t.Helper()
	db, err := store.Open(context.Background(), pgtest.Location(t, "serve.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv := smtptest.Start(t)
	tr, _ := smtpsend.New(smtpsend.Options{Host: srv.Host, Port: srv.Port, TLS: smtpsend.TLSNone})
	return testwire.Build(t, db, delivery.Outbox{Transport: tr}, testwire.Options{}).App, srv
}

// syncBuffer is written by the listeners' goroutines and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunServesAndStops: Run listens on every address it is given, answers
// on them over real sockets, and on cancel shuts down and says so.
func TestRunServesAndStops(t *testing.T) {
	a := newApp(t)
	out := &syncBuffer{}
	addrs, stop := startRun(t, a, Options{LMTP: "127.0.0.1:0", SMTP: "127.0.0.1:0", HTTP: "127.0.0.1:0", Out: out})
	greets(t, addrs.LMTP, "LMTP")
	greets(t, addrs.SMTP, "ESMTP")
	res, err := http.Get("http://" + addrs.HTTP + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", err, res)
	}
	res.Body.Close()
	if err := stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	for _, want := range []string{"Listening for LMTP on " + addrs.LMTP, "Listening for SMTP on " + addrs.SMTP, "Serving the web pages on http://" + addrs.HTTP, "Stopped."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := net.DialTimeout("tcp", addrs.LMTP, time.Second); err == nil {
		t.Error("the LMTP listener still accepts after Run returned")
	}
}

func greets(t *testing.T, addr, want string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, _ := c.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "220 ") || !strings.Contains(string(buf[:n]), want) {
		t.Fatalf("%s greets %q, want 220 ... %s", addr, buf[:n], want)
	}
}

// TestRunRefuses: nothing to serve, a busy address and a list whose own
// templates are missing are each a clear Invalid error, before anything runs.
func TestRunRefuses(t *testing.T) {
	a := newApp(t)
	a.Config.Web.Listen, a.Config.Inbound.LMTP, a.Config.Inbound.SMTP = "", "", ""
	err := Run(context.Background(), a, Options{NoDeliver: true, Out: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "nothing to serve") {
		t.Fatalf("nothing to serve: %v", err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	err = Run(context.Background(), a, Options{HTTP: busy.Addr().String(), NoDeliver: true, Out: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "listen on "+busy.Addr().String()) {
		t.Fatalf("busy address: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "missing")
	if _, err := a.DB.CreateList(context.Background(), "news", store.ListSettings{TemplatesDir: &dir}); err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), a, Options{HTTP: "127.0.0.1:0", NoDeliver: true, Out: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "lists edit news --templates") {
		t.Fatalf("missing list templates: %v", err)
	}
}

// startRun runs Run with o until stop, which cancels it and returns what
// Run returned; the test fails when Run does not start or stop in time.
func startRun(t *testing.T, a *app.App, o Options) (Addrs, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Addrs, 1)
	done := make(chan error, 1)
	o.Ready = func(a Addrs) { ready <- a }
	go func() { done <- Run(ctx, a, o) }()
	select {
	case addrs := <-ready:
		return addrs, func() error {
			cancel()
			select {
			case err := <-done:
				return err
			case <-time.After(40 * time.Second):
				t.Fatal("Run did not stop")
				return nil
			}
		}
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not start")
	}
	cancel()
	return Addrs{}, nil
}
