package importing_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/importing"
	"mailer/internal/pgtest"
	"mailer/internal/store"
)

// env is a list in a new store on this run's backend.
type env struct {
	t    *testing.T
	ctx  context.Context
	db   *store.DB
	list *store.List
}

func newEnv(t *testing.T) *env {
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(t, "i.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := db.CreateList(ctx, "news", store.ListSettings{})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, db: db, list: l}
}

// opts are the options of an import by an operator named tester.
func opts(name string) importing.Options {
	return importing.Options{Name: name, Evidence: store.Evidence{Operator: "tester"}}
}

// importFile imports text as a file named name, failing the test on error.
func (e *env) importFile(name, text string, o importing.Options) importing.Report {
	e.t.Helper()
	o.Name = name
	rep, err := importing.Import(e.ctx, e.db, e.list, strings.NewReader(text), o)
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

// status is addr's status on the list, "" for none.
func (e *env) status(addr string) store.Status {
	e.t.Helper()
	m, err := e.db.GetMember(e.ctx, e.list, addr)
	if err != nil {
		return ""
	}
	return m.Status
}

// set makes addr a member with status st, as it would have got there:
// active first, then st.
func (e *env) set(addr string, st store.Status) {
	e.t.Helper()
	a, err := address.Parse(addr)
	if err != nil {
		e.t.Fatal(err)
	}
	ev := store.Evidence{Source: store.SourceAdmin, Operator: "tester"}
	for _, to := range []store.Status{store.Active, st} {
		if _, err := e.db.SetStatus(e.ctx, e.list, a, to, ev); err != nil {
			e.t.Fatal(err)
		}
	}
}

// audit is the number of entries in the list's audit log.
func (e *env) audit() int {
	e.t.Helper()
	log, err := e.db.AuditLog(e.ctx, e.list, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return len(log)
}

const members = "email,name,status\n" +
	"ann@example.org,Ann,active\n" +
	"bo@example.org,,subscribed\n" +
	"cy@example.org,Cy,unsubscribed\n" +
	"dee@example.org,,pending\n" +
	"ANN@example.org,Ann again,active\n"

// TestImportFile: a file with a header is imported; the report counts
// each kind of line and the audit log names the file and who imported it.
func TestImportFile(t *testing.T) {
	e := newEnv(t)
	rep := e.importFile("members.csv", members, opts(""))
	if rep.File != "members.csv" || rep.Format != "csv with header" || rep.ImportReport == nil || rep.DryRun {
		t.Fatalf("report %+v", rep)
	}
	if rep.Added != 2 || rep.Already != 0 || rep.Suppressed != 1 || len(rep.Skipped) != 1 || len(rep.Invalid) != 0 {
		t.Fatalf("counts %+v", rep.ImportReport)
	}
	if len(rep.Repeats) != 1 || rep.Repeats[0].Line != 6 || rep.Skipped[0].Line != 5 {
		t.Fatalf("repeats %+v skipped %+v", rep.Repeats, rep.Skipped)
	}
	for addr, want := range map[string]store.Status{"ann@example.org": store.Active, "bo@example.org": store.Active,
		"cy@example.org": store.Unsubscribed, "dee@example.org": ""} {
		if got := e.status(addr); got != want {
			t.Errorf("%s is %q, want %q", addr, got, want)
		}
	}
	log, err := e.db.AuditLog(e.ctx, e.list, "cy@example.org")
	if err != nil || len(log) != 1 || log[0].Reason != "imported from members.csv" || log[0].Operator != "tester" ||
		log[0].Source != store.SourceImport {
		t.Fatalf("audit %+v %v", log, err)
	}
}

// TestBadLineRefusesTheFile: one bad line and nothing is imported; the
// error lists the bad lines by number.
func TestBadLineRefusesTheFile(t *testing.T) {
	e := newEnv(t)
	bad := members + "not an address\nq\"x@example.org,Q\n"
	_, err := importing.Import(e.ctx, e.db, e.list, strings.NewReader(bad), opts("bad.csv"))
	var be *importing.BadLinesError
	if !errors.Is(err, importing.ErrBadLines) || !errors.As(err, &be) || fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("error %v (%T)", err, err)
	}
	if len(be.Lines) != 2 || be.Lines[0].Line != 7 || be.Lines[1].Line != 8 || be.Good != 4 || be.Name != "bad.csv" {
		t.Fatalf("bad lines %+v", be)
	}
	if be.Report.ImportReport != nil || be.Report.File != "bad.csv" || len(be.Report.Invalid) != 2 {
		t.Fatalf("report of a refused file %+v", be.Report)
	}
	if err.Error() != "2 bad line(s) in bad.csv; nothing imported" {
		t.Fatalf("message %q", err)
	}
	l, err := e.db.GetList(e.ctx, "news")
	if err != nil {
		t.Fatal(err)
	}
	for st, n := range l.Counts {
		if n != 0 {
			t.Errorf("a refused file left %d %s", n, st)
		}
	}
	if n := e.audit(); n != 0 {
		t.Fatalf("a refused file wrote %d audit entries", n)
	}
	// SkipInvalid imports the others and reports the bad lines left out.
	o := opts("")
	o.SkipInvalid = true
	rep := e.importFile("bad.csv", bad, o)
	if rep.Added != 2 || len(rep.Invalid) != 2 || rep.Invalid[0].Line != 7 || e.status("ann@example.org") != store.Active {
		t.Fatalf("--skip-invalid: %+v", rep)
	}
}
