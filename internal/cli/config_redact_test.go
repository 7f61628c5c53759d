package cli

import (
	"fmt"
	"net"
	"strings"
	"testing"
)

const dbPassword = "pgS3cret%40pw"

// The PostgreSQL password, written either way libpq allows, reaches no
// output: the printed config (TOML and JSON), the error of a command that
// cannot connect, and receive's log, which the MTA keeps.
func TestDatabasePasswordNeverPrinted(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now: every connection is refused
	urls := []string{
		fmt.Sprintf("postgres://mailer:%s@127.0.0.1:%d/mailer?sslmode=disable", dbPassword, port),
		fmt.Sprintf("postgres://mailer@127.0.0.1:%d/mailer?sslmode=disable&password=%s", port, dbPassword),
	}
	for _, url := range urls {
		e := newTestEnv(t)
		e.env["MAILER_DATABASE"] = url
		out := e.mustRun("config")
		if !strings.Contains(out, "127.0.0.1:") || !strings.Contains(out, "(redacted)") {
			t.Fatalf("config does not show the redacted URL:\n%s", out)
		}
		assertNoPassword(t, "config", out)
		assertNoPassword(t, "config --json", e.mustRun("config", "--json"))
		stdout, stderr, code := e.run("lists", "ls")
		if code == 0 || !strings.Contains(stderr, "cannot reach database") {
			t.Fatalf("lists ls: exit %d, %q", code, stderr)
		}
		assertNoPassword(t, "lists ls", stdout+stderr)
		stdout, stderr, code = e.runIn("From: zoe@example.com\r\nSubject: x\r\n\r\nhelp\r\n", "receive", "--recipient", "mailer@example.org")
		if code != 75 || !strings.Contains(stderr, "mail not handled") {
			t.Fatalf("receive: exit %d (want 75, the MTA retries), log %q", code, stderr)
		}
		assertNoPassword(t, "receive", stdout+stderr)
	}
}

func assertNoPassword(tb testing.TB, what, out string) {
	tb.Helper()
	for _, s := range []string{dbPassword, "pgS3cret@pw", "pgS3cret"} {
		if strings.Contains(out, s) {
			tb.Fatalf("%s prints the password %q:\n%s", what, s, out)
		}
	}
}
