package importing_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/importing"
	"mailer/internal/roster"
	"mailer/internal/store"
)

// TestReimportChangesNothing: the same file again finds everyone as the
// file says and writes nothing to the audit log.
func TestReimportChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.importFile("members.csv", members, opts(""))
	logged := e.audit()
	rep := e.importFile("members.csv", members, opts(""))
	if rep.Added != 0 || rep.Suppressed != 0 || rep.Already != 3 || len(rep.Skipped) != 1 {
		t.Fatalf("second import %+v", rep.ImportReport)
	}
	if n := e.audit(); n != logged {
		t.Fatalf("the second import wrote the audit log: %d entries, were %d", n, logged)
	}
	if e.status("cy@example.org") != store.Unsubscribed {
		t.Fatal("cy changed")
	}
}

// TestLeaversStayLeft: nobody who unsubscribed, bounced or was disabled
// here is made active by a file that says they are (an import is no
// consent), nor a member the file says left moved; each is a skipped line.
func TestLeaversStayLeft(t *testing.T) {
	e := newEnv(t)
	e.set("gone@example.org", store.Unsubscribed)
	e.set("dead@example.org", store.Bounced)
	e.set("held@example.org", store.Disabled)
	e.set("here@example.org", store.Active)
	rep := e.importFile("again.csv", "email,status\ngone@example.org,active\ndead@example.org,active\n"+
		"held@example.org,active\nhere@example.org,unsubscribed\n", opts(""))
	if rep.Added != 0 || rep.Already != 0 || len(rep.Skipped) != 4 {
		t.Fatalf("report %+v", rep.ImportReport)
	}
	if r := rep.Skipped[0].Reason; !strings.Contains(r, "no consent") || rep.Skipped[0].Line != 2 {
		t.Fatalf("skipped %+v", rep.Skipped[0])
	}
	for addr, want := range map[string]store.Status{"gone@example.org": store.Unsubscribed, "dead@example.org": store.Bounced,
		"held@example.org": store.Disabled, "here@example.org": store.Active} {
		if got := e.status(addr); got != want {
			t.Errorf("%s is %s, want %s", addr, got, want)
		}
	}
}

// TestDryRunChangesNothing: the report of what would happen, and no
// member and no audit entry.
func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t)
	o := opts("")
	o.DryRun = true
	rep := e.importFile("members.csv", members, o)
	if !rep.DryRun || rep.Added != 2 || rep.Suppressed != 1 {
		t.Fatalf("dry run %+v", rep.ImportReport)
	}
	if e.status("ann@example.org") != "" || e.audit() != 0 {
		t.Fatal("a dry run changed the list")
	}
}

// TestReadOnceApplyLater: a plan is read without a database, and applied
// to the list afterwards.
func TestReadOnceApplyLater(t *testing.T) {
	plan, err := importing.Read(strings.NewReader("ann@example.org\n"), opts("-"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	rep, err := plan.Apply(e.ctx, e.db, e.list)
	if err != nil || rep.Added != 1 || rep.Format != "address list" || e.status("ann@example.org") != store.Active {
		t.Fatalf("%+v %v", rep, err)
	}
}

// TestUnreadableFile: a file that is no member list is refused as a
// whole, named, and is not a bad-lines error.
func TestUnreadableFile(t *testing.T) {
	_, err := importing.Read(strings.NewReader(strings.Repeat("x", roster.MaxLineBytes+1)+"\n"), opts("big.csv"))
	if fault.CodeOf(err) != fault.Invalid || errors.Is(err, importing.ErrBadLines) ||
		!strings.HasPrefix(fault.MessageOf(err), "big.csv: a line is longer than") {
		t.Fatalf("%v", err)
	}
}

// TestReportWording: the lines a person reads, as the command prints them.
func TestReportWording(t *testing.T) {
	e := newEnv(t)
	o := opts("")
	o.SkipInvalid = true
	rep := e.importFile("m.csv", members+"nobody\n", o)
	var out, errOut bytes.Buffer
	rep.WriteSummary(&out, "news")
	rep.WriteInvalid(&errOut)
	want := "Imported into news (m.csv, csv with header): 2 added, 0 already there, 1 recorded as not to be mailed, 1 skipped, 1 bad line(s) left out\n" +
		"  m.csv:5: skipped: dee@example.org never confirmed; not imported (ask them to subscribe)\n" +
		"  m.csv:6: ANN@example.org again (first on line 2)\n"
	if out.String() != want {
		t.Errorf("summary:\n%s\nwant\n%s", out.String(), want)
	}
	if !strings.HasPrefix(errOut.String(), "m.csv:7: ") || strings.Count(errOut.String(), "\n") != 1 {
		t.Errorf("bad lines:\n%s", errOut.String())
	}
	out.Reset()
	rep.DryRun = true
	rep.WriteSummary(&out, "news")
	if !strings.HasPrefix(out.String(), "Dry run, nothing changed; importing would give news (m.csv, ") {
		t.Errorf("dry run:\n%s", out.String())
	}
}

// TestReportJSON: the keys the command's --json prints, and any other
// edge returns: a refused file's report has no counts, as nothing ran.
func TestReportJSON(t *testing.T) {
	e := newEnv(t)
	rep := e.importFile("m.csv", "ann@example.org\n", opts(""))
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"file":"m.csv","format":"address list","invalid":[],"repeats":[],"added":1,"already":0,"suppressed":0,"renamed":0,"skipped":[],"dry_run":false}`
	if string(b) != want {
		t.Errorf("applied:\n%s\nwant\n%s", b, want)
	}
	_, err = importing.Read(strings.NewReader("email\nnobody\n"), opts("m.csv"))
	var be *importing.BadLinesError
	if !errors.As(err, &be) {
		t.Fatal(err)
	}
	b, _ = json.Marshal(be.Report)
	want = `{"file":"m.csv","format":"csv with header","invalid":[{"line":2,"reason":`
	if !strings.HasPrefix(string(b), want) || !strings.HasSuffix(string(b), `"repeats":[]}`) {
		t.Errorf("refused:\n%s", b)
	}
}
