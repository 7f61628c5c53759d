package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"mailer/internal/auth"
	"mailer/internal/fault"
)

// authOf is a Service over the test's database, as app builds it.
func (e *testEnv) authOf(t *testing.T) *auth.Service {
	t.Helper()
	db := e.openStore(t)
	return auth.New(db, auth.Options{Owner: "owner@example.org", Idle: time.Hour, Max: 2 * time.Hour})
}

// TestOwnersPassword: --password-stdin sets a password the console logs
// in with; a short one is refused, saying why, and nothing is kept;
// without a terminal or --password-stdin the command says what to do;
// the password is never printed.
func TestOwnersPassword(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news", "--owner", "Alex@example.org")
	const pw = "a long enough passphrase"
	out, errOut, code := e.runIn(pw+"\n", "owners", "password", "alex@example.org", "--password-stdin")
	if code != 0 || !strings.Contains(out, "Set the console password of alex@example.org") || strings.Contains(out+errOut, pw) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	s, err := e.authOf(t).Login(context.Background(), "alex@example.org", pw, "")
	if err != nil || strings.Join(s.Principal.Lists, ",") != "news" || s.Principal.Admin {
		t.Fatalf("login with the password set: %+v %v", s.Principal, err)
	}
	if _, errOut, _ := e.runIn(pw+"\n", "owners", "password", "nolist@example.org", "--password-stdin"); !strings.Contains(errOut, "owns no list yet") {
		t.Fatalf("no note for an owner of nothing: %q", errOut)
	}
	if strings.Contains(errOut, "owns no list") {
		t.Fatalf("a note for an owner of news: %q", errOut)
	}
	_, errOut, code = e.runIn("short pass\n", "owners", "password", "bo@example.org", "--password-stdin")
	if code != ExitError || !strings.Contains(errOut, "10 characters long: use at least 12") || strings.Contains(errOut, "short pass") {
		t.Fatalf("short: exit %d %q", code, errOut)
	}
	_, errOut, code = e.runIn("", "owners", "password", "bo@example.org")
	if code != ExitUsage || !strings.Contains(errOut, "use --password-stdin") {
		t.Fatalf("no terminal: exit %d %q", code, errOut)
	}
	_, errOut, code = e.runIn("", "owners", "password", "bo@example.org", "--password-stdin")
	if code != ExitError || !strings.Contains(errOut, "no password on standard input") {
		t.Fatalf("empty stdin: exit %d %q", code, errOut)
	}
	if out := e.mustRun("owners", "ls"); strings.Contains(out, "bo@") {
		t.Fatalf("a refused password made a login:\n%s", out)
	}
	audit := e.mustRun("audit", "--address", "alex@example.org")
	if !strings.Contains(audit, "owner-password-set") || !strings.Contains(audit, "operator=tester") {
		t.Fatalf("audit:\n%s", audit)
	}
}

// TestOwnersPasswordAsksTwice: on a terminal the password is asked twice;
// two different answers change nothing; a short first answer is refused
// before the second question.
func TestOwnersPasswordAsksTwice(t *testing.T) {
	e := newTestEnv(t)
	ask := func(answers ...string) (*OwnersPasswordOptions, *[]string) {
		d, _, _ := testDeps(e.env, "")
		var prompts []string
		return &OwnersPasswordOptions{Deps: d, Email: "alex@example.org", readPassword: func(p string) (string, error) {
			prompts = append(prompts, p)
			a := answers[0]
			answers = answers[1:]
			return a, nil
		}}, &prompts
	}
	opts, prompts := ask("first passphrase", "other passphrase")
	if err := ownersPasswordRun(context.Background(), opts); fault.CodeOf(err) != fault.Invalid || !strings.Contains(err.Error(), "differ") || len(*prompts) != 2 {
		t.Fatalf("different answers: %v after %q", err, *prompts)
	}
	opts, prompts = ask("short")
	if err := ownersPasswordRun(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "at least 12") || len(*prompts) != 1 {
		t.Fatalf("short: %v after %q", err, *prompts)
	}
	opts, _ = ask("same passphrase", "same passphrase")
	if err := ownersPasswordRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if _, err := e.authOf(t).Login(context.Background(), "alex@example.org", "same passphrase", ""); err != nil {
		t.Fatalf("login: %v", err)
	}
}

// TestOwnersLsAndRm: ls shows the site owner, list owners and logins with
// their lists and admin flag, as a table and as JSON; rm ends the login
// and its sessions; an address without one is a clear error.
func TestOwnersLsAndRm(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news", "--owner", "alex@example.org")
	e.mustRun("lists", "create", "beta", "--owner", "alex@example.org,bo@example.org")
	e.runIn("a long enough passphrase\n", "owners", "password", "alex@example.org", "--password-stdin")
	e.runIn("a long enough passphrase\n", "owners", "password", "root@example.org", "--password-stdin", "--admin")
	out := e.mustRun("owners", "ls")
	for _, want := range []string{"ADDRESS", "alex@example.org  no     beta,news  -", "bo@example.org    no     beta       no password",
		"owner@example.org  yes", "root@example.org   yes    all"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("ls lacks %q:\n%s", want, out)
		}
	}
	var owners []auth.Owner
	if err := json.Unmarshal([]byte(e.mustRun("owners", "ls", "--json")), &owners); err != nil || len(owners) != 4 ||
		owners[0].Address != "alex@example.org" || !owners[0].Login || len(owners[0].Lists) != 2 || !owners[3].Admin {
		t.Fatalf("ls --json: %+v %v", owners, err)
	}
	svc := e.authOf(t)
	s, err := svc.Login(context.Background(), "alex@example.org", "a long enough passphrase", "")
	if err != nil {
		t.Fatal(err)
	}
	if out := e.mustRun("owners", "rm", "alex@example.org"); !strings.Contains(out, "Removed the console login of alex@example.org") {
		t.Fatalf("rm: %q", out)
	}
	if _, err := svc.Session(context.Background(), s.ID); fault.CodeOf(err) != fault.Unauthenticated {
		t.Fatalf("session after rm: %v", err)
	}
	if _, errOut, code := e.run("owners", "rm", "bo@example.org"); code != ExitError || !strings.Contains(errOut, "bo@example.org has no console login") {
		t.Fatalf("rm without a login: %d %q", code, errOut)
	}
}

// TestTokensCommands: create prints the secret once (alone on stdout),
// which the API takes; ls never shows it; a bad scope, an unknown list
// and a name in use are refused; revoke ends it.
func TestTokensCommands(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news")
	out, errOut, code := e.run("tokens", "create", "grafana", "--scope", "read", "--list", "news")
	secret := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(secret, "mlr_") || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "will not be shown again") ||
		!strings.Contains(errOut, "Created token grafana (read, list news)") {
		t.Fatalf("create: exit %d\n%s\n%s", code, out, errOut)
	}
	svc := e.authOf(t)
	p, err := svc.Bearer(context.Background(), secret)
	if err != nil || p.Write || !p.CanSee("news") || p.Admin {
		t.Fatalf("the token: %+v %v", p, err)
	}
	ls := e.mustRun("tokens", "ls")
	if strings.Contains(ls, secret[4:]) || !strings.Contains(strings.Join(strings.Fields(ls), " "), "grafana read news") {
		t.Fatalf("ls:\n%s", ls)
	}
	if js := e.mustRun("tokens", "ls", "--json"); strings.Contains(js, secret[4:]) || !strings.Contains(js, `"scope": "read"`) || !strings.Contains(js, `"last_used"`) {
		t.Fatalf("ls --json:\n%s", js)
	}
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"tokens", "create", "x", "--scope", "admin"}, ExitError, "use read or write"},
		{[]string{"tokens", "create", "x"}, ExitUsage, "--scope is required"},
		{[]string{"tokens", "create", "x", "--scope", "write", "--list", "nope"}, ExitError, `no list named "nope"`},
		{[]string{"tokens", "create", "grafana", "--scope", "write"}, ExitError, "exists already"},
		{[]string{"tokens", "revoke", "nope"}, ExitError, "no token named nope"},
	} {
		if _, errOut, code := e.run(c.args...); code != c.code || !strings.Contains(errOut, c.says) {
			t.Errorf("%v: exit %d %q", c.args, code, errOut)
		}
	}
	if out := e.mustRun("tokens", "revoke", "grafana"); !strings.Contains(out, "Revoked token grafana") {
		t.Fatalf("revoke: %q", out)
	}
	if _, err := svc.Bearer(context.Background(), secret); fault.CodeOf(err) != fault.Unauthenticated || strings.Contains(err.Error(), secret[4:]) {
		t.Fatalf("revoked: %v", err)
	}
	if ls := e.mustRun("tokens", "ls"); strings.Count(ls, "UTC") != 3 { // created, last used, revoked
		t.Fatalf("ls after revoke:\n%s", ls)
	}
}
