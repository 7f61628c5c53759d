package cli

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// members lists a list's members as "address status name" lines.
func (e *testEnv) members(list string) string {
	e.t.Helper()
	recs, err := csv.NewReader(strings.NewReader(e.mustRun("subscribers", "export", list))).ReadAll()
	if err != nil {
		e.t.Fatal(err)
	}
	var lines []string
	for _, f := range recs[1:] {
		lines = append(lines, f[0]+" "+f[2]+" "+f[1])
	}
	return strings.Join(lines, "\n")
}

// TestImportIsAllOrNothing: the files of the bug report; a bad line stops
// the import with FILE:LINE and exit 1, and nothing is written.
func TestImportIsAllOrNothing(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news")
	q := e.write("q.csv", "email,name\nq1@example.org,A\nq2\"x@example.org,B\n")
	_, errOut, code := e.run("subscribers", "import", "news", q)
	if code != ExitError || !strings.Contains(errOut, "q.csv:3: broken CSV") || !strings.Contains(errOut, "nothing imported") ||
		strings.Contains(errOut, "internal error") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if m := e.members("news"); m != "" {
		t.Fatalf("a refused import wrote:\n%s", m)
	}
	out, errOut, code := e.run("subscribers", "import", "news", q, "--skip-invalid")
	if code != 0 || !strings.Contains(out, "1 added") || !strings.Contains(errOut, "q.csv:3:") {
		t.Fatalf("--skip-invalid: exit %d\n%s\n%s", code, out, errOut)
	}
	if m := e.members("news"); m != "q1@example.org active A" {
		t.Fatalf("after --skip-invalid:\n%s", m)
	}
	// A BOM and no header; the same person twice.
	bom := e.write("bom.csv", "\uFEFFann@example.org\nANN@example.org\n")
	out = e.mustRun("subscribers", "import", "news", bom)
	if !strings.Contains(out, "1 added") || !strings.Contains(out, "bom.csv:2: ANN@example.org again (first on line 1)") {
		t.Fatalf("BOM file:\n%s", out)
	}
	// Dry run: reported, not done.
	dry := e.write("dry.csv", "email\nnew@example.org\n")
	out = e.mustRun("subscribers", "import", "news", dry, "--dry-run")
	if !strings.Contains(out, "Dry run, nothing changed") || !strings.Contains(out, "1 added") || strings.Contains(e.members("news"), "new@") {
		t.Fatalf("dry run:\n%s", out)
	}
}

// TestExportReimportsUnchanged: our own export is read back as it is, into
// another list, and exports the same.
func TestExportReimportsUnchanged(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news")
	e.mustRun("lists", "create", "copy")
	e.mustRun("subscribers", "add", "news", "Ann Example <ann@example.org>", "bo@example.org")
	e.mustRun("subscribers", "add", "news", "zoë@exämple.org", "--name", "=HYPERLINK(\"x\")")
	e.mustRun("subscribers", "add", "news", `"Cy, Jr." <cy@example.org>`)
	e.mustRun("subscribers", "rm", "news", "bo@example.org")
	exported := e.write("news.csv", e.mustRun("subscribers", "export", "news"))
	out := e.mustRun("subscribers", "import", "copy", exported)
	if !strings.Contains(out, "(") || !strings.Contains(out, "mailer)") || !strings.Contains(out, "3 added") || !strings.Contains(out, "1 recorded as not to be mailed") {
		t.Fatalf("import of the export:\n%s", out)
	}
	if a, b := e.members("news"), e.members("copy"); a != b {
		t.Fatalf("round trip changed the members:\n%s\n---\n%s", a, b)
	}
}

// TestOtherToolsImport: Mailman 3, Mailman 2 and listmonk exports (see
// internal/roster/testdata/README) import through the command.
func TestOtherToolsImport(t *testing.T) {
	e := newTestEnv(t)
	for _, c := range []struct {
		file, want string
		flags      []string
	}{
		{"mailman3-postorius-Subscribers.csv", "anne@example.com active \nbart@example.org active \ncris@example.net active ", nil},
		{"mailman3-members.txt", "anne@example.com active Anne Person\nbart@example.org active \ncris@example.net active Person, Cris\nzoe@example.net active Zoë Doe", nil},
		{"listmonk-subscribers.csv", "anne@example.com active Anne Person\nbart@example.org unsubscribed Bart\ncris@example.net disabled Person, Cris",
			[]string{"--status", "active"}},
	} {
		list := strings.NewReplacer(".", "-", "_", "-").Replace(strings.ToLower(c.file))
		list = list[:min(len(list), 30)]
		e.mustRun("lists", "create", list)
		data, err := os.ReadFile(filepath.Join("..", "roster", "testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		e.mustRun(append([]string{"subscribers", "import", list, e.write(c.file, string(data))}, c.flags...)...)
		if got := e.members(list); got != c.want {
			t.Errorf("%s:\n%s\nwant\n%s", c.file, got, c.want)
		}
	}
}

// TestAddAfterUnsubscribeNeedsForce: consent withdrawn stays withdrawn
// unless the owner says the person asked again, and the audit log keeps it.
func TestAddAfterUnsubscribeNeedsForce(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news")
	e.mustRun("subscribers", "add", "news", "ann@example.org")
	e.mustRun("subscribers", "rm", "news", "ann@example.org")
	_, errOut, code := e.run("subscribers", "add", "news", "ann@example.org")
	if code != ExitError || !strings.Contains(errOut, "withdrew their consent") || !strings.Contains(errOut, "--force") {
		t.Fatalf("add without --force: exit %d %s", code, errOut)
	}
	if !strings.Contains(e.members("news"), "ann@example.org unsubscribed") {
		t.Fatal("re-added without --force")
	}
	e.mustRun("subscribers", "add", "news", "ann@example.org", "--force")
	if audit := e.mustRun("audit", "--address", "ann@example.org"); !strings.Contains(audit, "consent withdrawn") {
		t.Fatalf("audit log:\n%s", audit)
	}
	// An import is no way around it.
	e.mustRun("subscribers", "rm", "news", "ann@example.org")
	out := e.mustRun("subscribers", "import", "news", e.write("again.csv", "ann@example.org\n"))
	if !strings.Contains(out, "0 added") || !strings.Contains(out, "no consent") {
		t.Fatalf("import of someone who left:\n%s", out)
	}
}
