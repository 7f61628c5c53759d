package doctor_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"mailer/internal/app"
	"mailer/internal/config"
	"mailer/internal/doctor"
	"mailer/internal/smtptest"
)

// TestProbeRelay opens a session with the test SMTP server as a send
// would, and says what it went through or, in words an owner can act on,
// why it could not.
func TestProbeRelay(t *testing.T) {
	open := smtptest.Start(t)
	authed := smtptest.Start(t) // AUTH is offered only over TLS: see TestProbeRelayTLSAndAuth
	authed.Username, authed.Password = "sender", "right"
	untrusted := smtptest.Start(t)
	untrusted.EnableTLS(t)
	dead := deadPort(t)
	for _, c := range []struct {
		name       string
		srv        string // host:port
		user, pass string
		tls        config.TLSMode
		want       string // what the probe says
		wantErr    string // or why it failed
	}{
		{name: "reachable", srv: open.Addr, tls: config.TLSNone, want: "answered EHLO"},
		// Credentials are not sent in the clear, even to a relay that would take them.
		{name: "AUTH without TLS", srv: authed.Addr, user: "sender", pass: "right", tls: config.TLSNone,
			wantErr: "not able to detect a supported authentication mechanism"},
		{name: "untrusted certificate", srv: untrusted.Addr, tls: config.TLSStartTLS, wantErr: "x509: certificate signed by unknown authority"},
		// STARTTLS is required, not opportunistic: a relay that does not offer it is refused.
		{name: "no STARTTLS offered", srv: open.Addr, tls: config.TLSStartTLS, wantErr: `set smtp.tls = "none" only for a relay on this host`},
		{name: "not listening", srv: dead, tls: config.TLSNone, wantErr: "nothing listens on " + dead},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := relayConfig(t, c.srv, c.tls)
			cfg.SMTP.Username, cfg.SMTP.Password = c.user, c.pass
			got, err := app.ProbeRelay(context.Background(), cfg)
			switch {
			case c.wantErr == "" && (err != nil || got != c.want):
				t.Fatalf("ProbeRelay = %q, %v; want %q", got, err, c.want)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("ProbeRelay = %q, %v; want an error with %q", got, err, c.wantErr)
			}
		})
	}
	if n := open.Sessions.Load(); n < 2 {
		t.Errorf("the open relay saw %d sessions, want the probes' 2", n)
	}
	if len(open.Messages())+len(authed.Messages()) != 0 {
		t.Error("a probe sent mail")
	}
}

func relayConfig(t *testing.T, addr string, tls config.TLSMode) *config.Config {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Transport = config.Transport{Kind: "smtp"}
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS = host, p, tls
	return &cfg
}

// TestRelayCheck: the doctor's relay check is OK with what the probe
// found, a FIX naming the relay when the probe fails (here the relay does
// not offer the STARTTLS the configuration requires), and absent when
// mail goes to a Maildir (then the transport check says so).
func TestRelayCheck(t *testing.T) {
	s := newSite(t)
	dns := serve(t, s.zone()).Addr
	relay := fmt.Sprintf("SMTP relay %s:%d: ", s.srv.Host, s.srv.Port)
	if c := named(s.run(t, dns), "relay"); len(c) != 1 || c[0].Level != doctor.OK || c[0].Message != relay+"answered EHLO" {
		t.Errorf("relay up: %+v", c)
	}

	s.cfg.SMTP.TLS = config.TLSStartTLS // which the test relay does not offer
	cs := s.run(t, dns)
	if c := named(cs, "relay"); len(c) != 1 || c[0].Level != doctor.Fix || !strings.HasPrefix(c[0].Message, relay) ||
		!strings.Contains(c[0].Message, "STARTTLS") {
		t.Errorf("relay refuses: %+v", c)
	}
	if doctor.Fixes(cs) != 1 {
		t.Errorf("%d fixes, want the relay's 1: %+v", doctor.Fixes(cs), notOK(cs))
	}

	s.cfg.Transport = config.Transport{Kind: "maildir", Path: "maildir"}
	cs = s.run(t, dns)
	if c := named(cs, "relay"); len(c) != 0 {
		t.Errorf("a relay check with a Maildir transport: %+v", c)
	}
	if c := named(cs, "transport"); len(c) != 1 || c[0].Level != doctor.Warn || !strings.Contains(c[0].Message, "written to a Maildir, not sent") {
		t.Errorf("transport: %+v", c)
	}
}

// TestProbeRelayTLSAndAuth: the probe really does STARTTLS and AUTH as
// configured; a refused login says which setting to check. The probe
// trusts the system's roots, which Go loads once per process, so it runs
// in a child of this test binary that trusts the test certificate
// (SSL_CERT_FILE) from its start.
func TestProbeRelayTLSAndAuth(t *testing.T) {
	if addr := os.Getenv("DOCTOR_TEST_RELAY"); addr != "" {
		cfg := relayConfig(t, addr, config.TLSStartTLS)
		cfg.SMTP.Username, cfg.SMTP.Password = "sender", os.Getenv("DOCTOR_TEST_PASSWORD")
		got, err := app.ProbeRelay(context.Background(), cfg)
		fmt.Printf("probe: %q %v\n", got, err)
		return
	}
	srv := smtptest.Start(t)
	srv.EnableTLS(t)
	srv.Username, srv.Password = "sender", "right"
	cert := filepath.Join(t.TempDir(), "relay.pem")
	if err := os.WriteFile(cert, srv.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for password, want := range map[string]string{
		"right": `probe: "answered EHLO, STARTTLS, AUTH as sender" <nil>`,
		"wrong": `refused the login of "sender": 535`,
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestProbeRelayTLSAndAuth$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+cert, "DOCTOR_TEST_RELAY="+srv.Addr, "DOCTOR_TEST_PASSWORD="+password)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("password %s: %v, want %q in\n%s", password, err, want, out)
		}
	}
}
