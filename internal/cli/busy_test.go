package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadsWhileAnotherProcessWrites: a command that only reads works
// while another process holds the write lock (a send does); one that
// writes waits, then says the database is busy and why (exit 75).
func TestReadsWhileAnotherProcessWrites(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news")
	defer e.holdLock(t, false)()
	e.env["MAILER_BUSY_TIMEOUT"] = "300ms"
	if out, errOut, code := e.run("lists", "ls"); code != 0 || !strings.Contains(out, "news") {
		t.Fatalf("lists ls during a write: exit %d\n%s%s", code, out, errOut)
	}
	_, errOut, code := e.run("subscribers", "add", "news", "a@example.org")
	if code != ExitTempFail || !strings.Contains(errOut, "busy (another mailer process is writing") || strings.Contains(errOut, "migration") {
		t.Fatalf("a write during a write: exit %d\n%s", code, errOut)
	}
}

// TestWrongTemplatesDirIsAnError: a templates_dir that does not exist, or
// holds a broken template, stops every command (doctor included) with the
// reason, instead of being ignored.
func TestWrongTemplatesDirIsAnError(t *testing.T) {
	e := newTestEnv(t)
	e.env["MAILER_TEMPLATES_DIR"] = filepath.Join(e.dir, "my-templates")
	for _, args := range [][]string{{"lists", "ls"}, {"doctor"}} {
		if _, errOut, code := e.run(args...); code != ExitError || !strings.Contains(errOut, "MAILER_TEMPLATES_DIR") || !strings.Contains(errOut, "my-templates") {
			t.Errorf("%v with a missing templates_dir: exit %d %s", args, code, errOut)
		}
	}
	os.MkdirAll(filepath.Join(e.dir, "my-templates", "issue"), 0o755)
	e.write("my-templates/issue/issue.txt", "{{.Title")
	if _, errOut, code := e.run("lists", "ls"); code != ExitError || !strings.Contains(errOut, "issue.txt") {
		t.Errorf("a broken template: exit %d %s", code, errOut)
	}
}
