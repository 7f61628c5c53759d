package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mailer/internal/cli"
)

// cliJSON runs a mailer command with --json on the env's database, as the
// CLI's own tests do, and decodes what it prints.
func (e *env) cliJSON(args ...string) any {
	e.t.Helper()
	out := e.cli(append(args, "--json")...)
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		e.t.Fatalf("mailer %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// cli runs a mailer command on the env's database and returns its output.
func (e *env) cli(args ...string) string {
	e.t.Helper()
	dir := e.t.TempDir()
	cfg := fmt.Sprintf("database = %q\nsecret = %q\nlist_host = %q\nbase_url = %q\nissues_dir = %q\n",
		e.loc, e.app.Config.Secret, string(e.app.Config.ListHost), string(e.app.Config.BaseURL), filepath.Join(e.app.Config.Dir, "issues"))
	if err := os.WriteFile(filepath.Join(dir, "mailer.toml"), []byte(cfg), 0o600); err != nil {
		e.t.Fatal(err)
	}
	env := map[string]string{"MAILER_CONFIG": filepath.Join(dir, "mailer.toml")}
	var out, errOut bytes.Buffer
	d := &cli.Deps{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(k string) string { return env[k] },
		Now: time.Now, Operator: func() string { return "tester" }, Version: "test",
		InteractiveIn: func() bool { return false }, InteractiveErr: func() bool { return false }}
	if code := cli.Run(context.Background(), d, args); code != 0 {
		e.t.Fatalf("mailer %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return out.String()
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func first(v any) any {
	if xs, ok := v.([]any); ok && len(xs) > 0 {
		return xs[0]
	}
	return nil
}

// TestFieldNamesAsCLI: the API's objects have the field names of the
// CLI's --json output for the same things, read from the same database.
func TestFieldNamesAsCLI(t *testing.T) {
	e := newEnv(t)
	e.list("news")
	add := e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: admin, body: map[string]any{"address": "a@example.org", "name": "A"}})
	e.db.RecordBounce(context.Background(), e.listOf("news"), "a@example.org", false, "452 full", e.app.BouncePolicy())
	at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	e.do(req{method: "POST", path: "/api/v1/sends", token: admin, body: map[string]any{"issue": "issue-06", "list": "news", "at": at}})
	csv := e.app.Config.Dir + "/readers.csv"
	os.WriteFile(csv, []byte("email,name\nb@example.org,B\n"), 0o644)
	imp := e.upload("/api/v1/lists/news/import", "email,name\nc@example.org,C\n")
	api := func(path string) any {
		r := e.do(req{method: "GET", path: path, token: admin})
		var v any
		json.Unmarshal(r.Body, &v)
		return v
	}
	items := func(v any) any { return v.(map[string]any)["items"] }
	for _, c := range []struct {
		what     string
		cli, api any
		superset bool // the API answers more (the member after a change)
	}{
		{"lists", first(e.cliJSON("lists", "ls")), first(items(api("/api/v1/lists"))), false},
		{"members", first(e.cliJSON("subscribers", "ls", "news")), first(items(api("/api/v1/lists/news/members"))), false},
		{"audit", first(e.cliJSON("audit", "--list", "news")), first(items(api("/api/v1/audit?list=news"))), false},
		{"bounces", first(e.cliJSON("bounces", "ls", "news")), first(items(api("/api/v1/lists/news/bounces"))), false},
		{"sends", e.cliJSON("sends", "ls"), api("/api/v1/sends"), false},
		{"schedule", first(e.cliJSON("sends", "ls").(map[string]any)["scheduled"]), first(api("/api/v1/sends").(map[string]any)["scheduled"]), false},
		{"import", e.cliJSON("subscribers", "import", "news", csv), imp.json(t), false},
		{"add", first(e.cliJSON("subscribers", "add", "news", "d@example.org")), add.json(t), true},
	} {
		ck, ak := keys(c.cli), keys(c.api)
		if len(ck) == 0 {
			t.Errorf("%s: the CLI printed no object: %v", c.what, c.cli)
			continue
		}
		missing := slices.DeleteFunc(slices.Clone(ck), func(k string) bool { return slices.Contains(ak, k) })
		extra := slices.DeleteFunc(slices.Clone(ak), func(k string) bool { return slices.Contains(ck, k) })
		if len(missing) > 0 || (!c.superset && len(extra) > 0) {
			t.Errorf("%s: the API lacks %v and adds %v to the CLI's %v", c.what, missing, extra, ck)
		}
	}
}

// TestTokenFromTheCLI: a token `mailer tokens create` prints opens the API
// as its scope says, and `tokens revoke` closes it.
func TestTokenFromTheCLI(t *testing.T) {
	e := newEnv(t)
	secret := strings.TrimSpace(e.cli("tokens", "create", "grafana", "--scope", "read", "--list", "news"))
	if !strings.HasPrefix(secret, "mlr_") {
		t.Fatalf("tokens create printed %q", secret)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/lists/news/members", token: secret}); r.Status != 200 {
		t.Fatalf("read with the new token: %d %s", r.Status, r.Body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/lists/news/members", token: secret, body: map[string]any{"address": "a@example.org"}}); r.Status != 403 {
		t.Fatalf("write with a read token: %d %s", r.Status, r.Body)
	}
	e.cli("tokens", "revoke", "grafana")
	if r := e.do(req{method: "GET", path: "/api/v1/lists/news/members", token: secret}); r.Status != 401 {
		t.Fatalf("revoked token: %d %s", r.Status, r.Body)
	}
}
