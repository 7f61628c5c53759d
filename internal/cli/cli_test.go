package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testEnv is a directory with a config and database made by `mailer init`,
// and the environment that points commands at it.
type testEnv struct {
	t     testing.TB
	dir   string
	env   map[string]string
	pgURL string // the PostgreSQL database, on that backend's run
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	e := &testEnv{t: t, dir: t.TempDir()}
	// The owners' listener on a port of its own: tests run side by side.
	e.env = map[string]string{"MAILER_CONFIG": filepath.Join(e.dir, "mailer.toml"), "MAILER_ADMIN_LISTEN": "127.0.0.1:0"}
	args := []string{"init", e.dir, "--owner", "owner@example.org"}
	if url := e.useBackend(t); url != "" {
		args = append(args, "--database", url)
	}
	e.mustRun(args...)
	return e
}

func testDeps(env map[string]string, stdin string) (*Deps, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &Deps{
		In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut,
		Getenv:         func(k string) string { return env[k] },
		Now:            func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) },
		Operator:       func() string { return "tester" },
		Version:        "test",
		InteractiveIn:  func() bool { return false },
		InteractiveErr: func() bool { return false },
	}, &out, &errOut
}

// run executes a command line in-process and returns its output and exit code.
func (e *testEnv) run(args ...string) (stdout, stderr string, code int) {
	return e.runIn("", args...)
}

func (e *testEnv) runIn(stdin string, args ...string) (stdout, stderr string, code int) {
	d, out, errOut := testDeps(e.env, stdin)
	code = Run(context.Background(), d, args)
	return out.String(), errOut.String(), code
}

func (e *testEnv) mustRun(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("mailer %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// environ is this process's environment with the test's overrides, for
// running the real binary.
func (e *testEnv) environ() []string {
	env := os.Environ()
	for k, v := range e.env {
		env = append(env, k+"="+v)
	}
	return env
}

func (e *testEnv) write(name, content string) string {
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestInitCreatesConfigAndDatabaseButNeverOverwrites(t *testing.T) {
	e := newTestEnv(t)
	files := []string{"mailer.toml", "mailer.db", "issues"}
	if e.pgURL != "" {
		files = files[:1] // the database is PostgreSQL's
		if v, err := e.openStore(t).SchemaVersion(context.Background()); err != nil || v == 0 {
			t.Errorf("init did not migrate %s: version %d, %v", e.pgURL, v, err)
		}
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(e.dir, f)); err != nil {
			t.Errorf("init did not create %s: %v", f, err)
		}
	}
	st, _ := os.Stat(filepath.Join(e.dir, "mailer.toml"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600 (it holds the secret)", st.Mode().Perm())
	}
	before, _ := os.ReadFile(filepath.Join(e.dir, "mailer.toml"))
	_, errOut, code := e.run("init", e.dir)
	after, _ := os.ReadFile(filepath.Join(e.dir, "mailer.toml"))
	if code != ExitError || !strings.Contains(errOut, "already exists") || !bytes.Equal(before, after) {
		t.Fatalf("second init: exit %d, %q; file changed: %v", code, errOut, !bytes.Equal(before, after))
	}
}

func TestConfigRedactsSecret(t *testing.T) {
	e := newTestEnv(t)
	e.env["MAILER_SMTP_HOST"] = "relay.example.net"
	out := e.mustRun("config")
	if !strings.Contains(out, "secret = '(redacted)'") || !strings.Contains(out, "host = 'relay.example.net'") {
		t.Fatalf("config output:\n%s", out)
	}
	raw, _ := os.ReadFile(filepath.Join(e.dir, "mailer.toml"))
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "secret = "); ok && strings.Contains(out, strings.Trim(v, `"`)) {
			t.Fatal("secret printed")
		}
	}
}

func TestBadConfigNamesFileLineAndKey(t *testing.T) {
	e := newTestEnv(t)
	e.write("mailer.toml", "database = \"mailer.db\"\n[smtp]\nport = \"x\"\n")
	_, errOut, code := e.run("lists", "ls")
	if code != ExitError || !strings.Contains(errOut, "mailer.toml:3: smtp.port") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestListsLifecycle(t *testing.T) {
	e := newTestEnv(t)
	out := e.mustRun("lists", "create", "bpf-updates", "--title", "BPF updates", "--from", "Alex <alex@example.org>", "--owner", "alex@example.org")
	if !strings.Contains(out, "Created list bpf-updates") {
		t.Fatalf("create: %q", out)
	}
	if _, errOut, code := e.run("lists", "create", "bpf-updates"); code != ExitError || !strings.Contains(errOut, "already exists") {
		t.Fatalf("duplicate create: %d %q", code, errOut)
	}
	if _, errOut, code := e.run("lists", "create", "Bad Name"); code != ExitError || !strings.Contains(errOut, "lower-case") {
		t.Fatalf("bad name: %d %q", code, errOut)
	}
	e.mustRun("lists", "edit", "bpf-updates", "--policy", "open", "--description", "Weekly BPF news")
	out = e.mustRun("lists", "show", "bpf-updates")
	for _, want := range []string{"BPF updates", "Alex <alex@example.org>", "open", "Weekly BPF news", "alex@example.org"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	out = e.mustRun("lists", "ls", "--json")
	if !strings.Contains(out, `"name": "bpf-updates"`) || !strings.Contains(out, `"policy": "open"`) {
		t.Fatalf("ls --json:\n%s", out)
	}
	e.mustRun("subscribers", "add", "bpf-updates", "a@example.org")
	if _, errOut, code := e.run("lists", "rm", "bpf-updates"); code != ExitError || !strings.Contains(errOut, "--force") {
		t.Fatalf("rm with members: %d %q", code, errOut)
	}
	e.mustRun("lists", "rm", "bpf-updates", "--force")
	if _, errOut, code := e.run("lists", "show", "bpf-updates"); code != ExitError || !strings.Contains(errOut, `no list named "bpf-updates"`) {
		t.Fatalf("show after rm: %d %q", code, errOut)
	}
}

func TestSubscribersAddRmLs(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news")
	out, errOut, code := e.run("subscribers", "add", "news", "alice@example.org", "Bob <Bob@EXAMPLE.org>", "not-an-address")
	if code != ExitError {
		t.Fatalf("exit %d, want 1 for the invalid address", code)
	}
	if !strings.Contains(out, "Subscribed alice@example.org") || !strings.Contains(out, "Subscribed Bob@example.org") {
		t.Fatalf("valid addresses not added:\n%s", out)
	}
	if !strings.Contains(errOut, `invalid address "not-an-address": missing @domain`) {
		t.Fatalf("stderr %q", errOut)
	}
	out = e.mustRun("subscribers", "add", "news", "bob@example.org")
	if !strings.Contains(out, "already subscribed") {
		t.Fatalf("re-add: %q", out)
	}
	out = e.mustRun("subscribers", "rm", "news", "alice@example.org")
	if !strings.Contains(out, "Unsubscribed alice@example.org") {
		t.Fatalf("rm: %q", out)
	}
	out = e.mustRun("subscribers", "ls", "news", "--status", "active")
	if strings.Contains(out, "alice@") || !strings.Contains(out, "Bob@example.org") || !strings.Contains(out, "1 member(s)") {
		t.Fatalf("ls active:\n%s", out)
	}
	out = e.mustRun("audit", "--address", "alice@example.org")
	if !strings.Contains(out, "subscribed") || !strings.Contains(out, "unsubscribed") || !strings.Contains(out, "operator=tester") {
		t.Fatalf("audit:\n%s", out)
	}
	if _, errOut, code := e.run("subscribers", "add", "nope", "x@example.org"); code != ExitError || !strings.Contains(errOut, `no list named "nope"`) {
		t.Fatalf("unknown list: %d %q", code, errOut)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	e := newTestEnv(t)
	for _, args := range [][]string{
		{"lists", "create"},
		{"lists", "bogus"},
		{"subscribers", "ls", "news", "--status", "gone"},
		{"subscribers", "add", "news"},
		{"lists", "edit", "news"},
		{"--no-such-flag"},
		{"nosuchcommand"},
	} {
		_, errOut, code := e.run(args...)
		if code != ExitUsage {
			t.Errorf("mailer %v: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
	}
}

func TestMissingConfigAndDatabase(t *testing.T) {
	dir := t.TempDir()
	d, _, errOut := testDeps(map[string]string{"MAILER_CONFIG": filepath.Join(dir, "mailer.toml")}, "")
	if code := Run(context.Background(), d, []string{"lists", "ls"}); code != ExitError || !strings.Contains(errOut.String(), "mailer init") {
		t.Fatalf("no config: exit %d %q", code, errOut)
	}
	os.WriteFile(filepath.Join(dir, "mailer.toml"), []byte("database = \"gone.db\"\n"), 0o600)
	d, _, errOut = testDeps(map[string]string{"MAILER_CONFIG": filepath.Join(dir, "mailer.toml")}, "")
	if code := Run(context.Background(), d, []string{"lists", "ls"}); code != ExitError || !strings.Contains(errOut.String(), "does not exist") {
		t.Fatalf("no database: exit %d %q", code, errOut)
	}
}

func TestNewerDatabaseIsRefused(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "ls")
	// Pretend a newer mailer migrated this database.
	if _, err := e.raw(t).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 'now')`); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := e.run("lists", "ls")
	if code != ExitError || !strings.Contains(errOut, "newer than this mailer knows") {
		t.Fatalf("exit %d %q", code, errOut)
	}
}
