package config_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailer/internal/config"
	"mailer/internal/fault"
)

func noEnv(string) string { return "" }

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const validSecret = "0123456789abcdef0123456789abcdef"

func TestStarterConfigLoadsAndHasFreshSecret(t *testing.T) {
	p := config.InitParams{Database: "mailer.db", BaseURL: "https://lists.example.org", ListHost: "lists.example.org",
		Owner: "owner@example.org", Contact: "Example Org, 1 Main St", IssuesDir: "issues", Transport: "maildir:maildir"}
	a, err := config.Starter(p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := config.Starter(p, time.Now())
	ca, err := config.Parse("a.toml", a, noEnv)
	if err != nil {
		t.Fatalf("starter config does not load: %v\n%s", err, a)
	}
	cb, _ := config.Parse("b.toml", b, noEnv)
	if len(ca.Secret) < config.MinSecretLen || ca.Secret == cb.Secret {
		t.Fatalf("secrets %q and %q: want two different long ones", ca.Secret, cb.Secret)
	}
	if ca.Transport.Kind != "maildir" || ca.Transport.Path != "maildir" || ca.SMTP.TLS != config.TLSStartTLS ||
		time.Duration(ca.SMTP.CommandTimeout) != 5*time.Minute || ca.Rate.PerSecond != 10 {
		t.Fatalf("starter values: %+v", ca)
	}
	if !bytes.Contains(a, []byte("MAILER_SMTP_HOST")) {
		t.Fatal("starter config does not explain environment overrides")
	}
}

func TestErrorsNameFileLineAndKey(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"syntax", "database = \"x.db\"\nbase_url = \n", "mailer.toml:2"},
		{"unknown key", "database = \"x.db\"\n\n[smtp]\nhots = \"x\"\n", `mailer.toml:4: unknown key "smtp.hots"`},
		{"wrong type", "[smtp]\nport = \"twenty-five\"\n", "mailer.toml:2: smtp.port"},
		{"bad tls mode", "[smtp]\n\ntls = \"ssl\"\n", "mailer.toml:3: smtp.tls: want starttls, tls or none"},
		{"bad duration", "[smtp]\nconnect_timeout = \"soon\"\n", "mailer.toml:2: smtp.connect_timeout: want a duration"},
		{"bad url", "base_url = \"lists.example.org\"\n", "mailer.toml:1: base_url: want an absolute http(s) URL"},
		{"bad transport", "transport = \"sendmail\"\n", "mailer.toml:1: transport"},
		{"bad owner", "owner = \"nobody\"\n", "mailer.toml:1: owner"},
		{"short secret", "secret = \"abc\"\n", "mailer.toml:1: secret: is 3 characters"},
		{"port range", "[smtp]\nport = 70000\n", "mailer.toml:2: smtp.port: must be between"},
		{"negative rate", "[rate]\nper_second = -1\n", "mailer.toml:2: rate.per_second"},
		{"password without user", "[smtp]\npassword = \"pw\"\n", "smtp.username: must be set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("mailer.toml", []byte(tt.file), noEnv)
			if err == nil {
				t.Fatalf("accepted:\n%s", tt.file)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want it to contain %q", err, tt.want)
			}
			if fault.CodeOf(err) != fault.Invalid {
				t.Fatalf("code %q", fault.CodeOf(err))
			}
		})
	}
}

func TestMissingAndUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	_, err := config.Load(filepath.Join(dir, "nope.toml"), noEnv)
	if err == nil || !strings.Contains(err.Error(), "nope.toml does not exist") {
		t.Fatalf("missing file: %v", err)
	}
	if os.Geteuid() != 0 { // root reads files whatever their mode
		p := filepath.Join(dir, "locked.toml")
		os.WriteFile(p, []byte("database = \"x\"\n"), 0o000)
		if _, err := config.Load(p, noEnv); err == nil || !strings.Contains(err.Error(), "locked.toml") {
			t.Fatalf("unreadable file: %v", err)
		}
	}
	// A directory is unreadable as a file for root too.
	if _, err := config.Load(dir, noEnv); err == nil || !strings.Contains(err.Error(), "cannot read config file "+dir) {
		t.Fatalf("directory as config: %v", err)
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	file := "[smtp]\nhost = \"mail.example.org\"\nport = 25\n"
	cfg, err := config.Parse("mailer.toml", []byte(file), envOf(map[string]string{
		"MAILER_SMTP_HOST":       "relay.example.net",
		"MAILER_RATE_PER_SECOND": "2.5",
		"MAILER_SMTP_TLS":        "none",
		"MAILER_TRANSPORT":       "smtp",
		"MAILER_SECRET":          validSecret,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTP.Host != "relay.example.net" || cfg.SMTP.Port != 25 || cfg.Rate.PerSecond != 2.5 ||
		cfg.SMTP.TLS != config.TLSNone || cfg.Transport.Kind != "smtp" || cfg.Secret != validSecret {
		t.Fatalf("overrides not applied: %+v", cfg)
	}
	_, err = config.Parse("mailer.toml", []byte(file), envOf(map[string]string{"MAILER_SMTP_PORT": "abc"}))
	if err == nil || !strings.Contains(err.Error(), "MAILER_SMTP_PORT (config key smtp.port)") {
		t.Fatalf("bad env value: %v", err)
	}
	_, err = config.Parse("mailer.toml", []byte(file), envOf(map[string]string{"MAILER_CONCURRENCY": "0"}))
	if err == nil || !strings.Contains(err.Error(), "MAILER_CONCURRENCY") || !strings.Contains(err.Error(), "concurrency") {
		t.Fatalf("invalid env value should point at the variable: %v", err)
	}
}

func TestRelativePathsResolveAgainstConfigDir(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "mailer.toml")
	os.WriteFile(p, []byte("database = \"data/mailer.db\"\n"), 0o600)
	cfg, err := config.Load(p, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.DatabasePath(); got != filepath.Join(dir, "data/mailer.db") {
		t.Fatalf("DatabasePath = %q", got)
	}
	if got := cfg.Resolve("/abs/x"); got != "/abs/x" {
		t.Fatalf("absolute path changed: %q", got)
	}
}

func TestPrintedConfigRedactsSecrets(t *testing.T) {
	file := "secret = \"" + validSecret + "\"\n[smtp]\nusername = \"u\"\npassword = \"hunter2hunter2\"\n"
	cfg, err := config.Parse("mailer.toml", []byte(file), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := cfg.WriteTOML(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, validSecret) || strings.Contains(out, "hunter2") {
		t.Fatalf("secret printed:\n%s", out)
	}
	if !strings.Contains(out, config.Redacted) || !strings.Contains(out, "username = 'u'") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	if cfg.Secret != validSecret {
		t.Fatal("redaction changed the config itself")
	}
	// The printed config must itself be valid TOML with the same keys.
	if _, err := config.Parse("printed.toml", []byte(strings.ReplaceAll(out, config.Redacted, validSecret)), noEnv); err != nil {
		t.Fatalf("printed config does not load: %v\n%s", err, out)
	}
	for _, e := range cfg.Entries() {
		if e.Value == validSecret || e.Value == "hunter2hunter2" {
			t.Fatalf("entry %s shows a secret", e.Key)
		}
	}
}

func TestSendSection(t *testing.T) {
	cfg, err := config.Parse("mailer.toml", []byte("[send]\nin_flight = \"skip\"\nretry = [\"30s\", \"2m\"]\nmax_age = \"24h\"\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Send.InFlight != config.InFlightSkip || len(cfg.Send.Retry) != 2 || cfg.Send.RetrySchedule()[1] != 2*time.Minute ||
		time.Duration(cfg.Send.MaxAge) != 24*time.Hour || cfg.Send.MessagesPerConnection != 1000 {
		t.Fatalf("send %+v", cfg.Send)
	}
	cfg, err = config.Parse("mailer.toml", nil, envOf(map[string]string{"MAILER_SEND_RETRY": "1s, 5s,1m"}))
	if err != nil || len(cfg.Send.Retry) != 3 || cfg.Send.RetrySchedule()[2] != time.Minute {
		t.Fatalf("retry from the environment: %+v %v", cfg.Send.Retry, err)
	}
	for file, want := range map[string]string{
		"[send]\nin_flight = \"maybe\"\n": "mailer.toml:2: send.in_flight: want resend or skip",
		"[send]\nretry = []\n":            "send.retry: needs at least one",
		"[send]\nretry = [\"soon\"]\n":    "mailer.toml:2: send.retry",
	} {
		if _, err := config.Parse("mailer.toml", []byte(file), noEnv); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", file, err, want)
		}
	}
	var buf bytes.Buffer
	cfg.WriteTOML(&buf)
	if !strings.Contains(buf.String(), "[send]") {
		t.Fatalf("printed config lacks [send]:\n%s", buf.String())
	}
}

// TestStarterListensWhereBaseURLPoints: the pages must answer at base_url.
func TestStarterListensWhereBaseURLPoints(t *testing.T) {
	for base, want := range map[string]string{
		"http://localhost:8089":        "127.0.0.1:8089",
		"http://127.0.0.1:9000":        "127.0.0.1:9000",
		"http://news.example.org:8089": ":8089",
		"https://news.example.org":     "127.0.0.1:8080", // behind a TLS proxy
		"http://localhost":             "127.0.0.1:8080",
	} {
		b, err := config.Starter(config.InitParams{BaseURL: base, ListHost: "lists.example.org", Database: "mailer.db",
			IssuesDir: "issues", Transport: "maildir:maildir"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Parse("mailer.toml", b, func(string) string { return "" })
		if err != nil || cfg.Web.Listen != want {
			t.Errorf("%s: web.listen %q %v, want %q", base, cfg.Web.Listen, err, want)
		}
	}
}

// TestEnvironmentErrorsNameTheVariable: a bad value from the environment
// is blamed on the variable, not on the file's line for the key.
func TestEnvironmentErrorsNameTheVariable(t *testing.T) {
	b, err := config.Starter(config.InitParams{BaseURL: "https://news.example.org", ListHost: "lists.example.org",
		Database: "mailer.db", IssuesDir: "issues", Transport: "maildir:maildir"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range map[string]string{"MAILER_CONCURRENCY": "0", "MAILER_SECRET": "short"} {
		_, err := config.Parse("mailer.toml", b, func(k string) string {
			if k == name {
				return value
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), "environment variable "+name) || strings.Contains(err.Error(), "mailer.toml:") {
			t.Errorf("%s=%s: %v", name, value, err)
		}
	}
}
