package cli

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"mailer/internal/pgtest"
	"mailer/migrations"
)

// TestDBCopyAndBack: after a send and a leaver, `db copy` to the other
// kind of database (a SQLite file; on the PostgreSQL run, then back to a
// new PostgreSQL database) gives an installation whose members, audit log,
// sends and status read the same; `db backup` of SQLite opens as the same.
func TestDBCopyAndBack(t *testing.T) {
	e, _ := newSendEnv(t, 3)
	e.mustRun("send", "issue-06", "--yes")
	e.mustRun("subscribers", "rm", "bpf-updates", "reader0001@example.org")
	views := func() string {
		var b strings.Builder
		for _, args := range [][]string{{"subscribers", "ls", "bpf-updates", "--json"}, {"audit", "--json"}, {"sends", "ls", "--all", "--json"}, {"status", "issue-06", "--json"}} {
			b.WriteString(e.mustRun(args...))
		}
		return b.String()
	}
	before := views()
	file := filepath.Join(t.TempDir(), "copy.db")
	out := e.mustRun("db", "copy", "--to", file)
	if !strings.Contains(out, "every table checked") || !strings.Contains(out, "audit_log") {
		t.Fatalf("db copy said:\n%s", out)
	}
	e.env["MAILER_DATABASE"] = file
	if got := views(); got != before {
		t.Fatalf("the copy reads differently:\n%s\nwant\n%s", got, before)
	}
	if pgtest.Backend == "postgres" {
		url := pgtest.Database(t)
		e.mustRun("db", "copy", "--to", url)
		e.env["MAILER_DATABASE"] = url
		if got := views(); got != before {
			t.Fatalf("the copy back to PostgreSQL reads differently:\n%s\nwant\n%s", got, before)
		}
		if _, errOut, code := e.run("db", "backup", filepath.Join(t.TempDir(), "b.db")); code != ExitError || !strings.Contains(errOut, "pg_dump") {
			t.Fatalf("backup of PostgreSQL: exit %d %s", code, errOut)
		}
		return
	}
	if _, errOut, code := e.run("db", "copy", "--to", file); code != ExitError || !strings.Contains(errOut, "not empty") {
		t.Fatalf("copy into a database with data: exit %d %s", code, errOut)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	e.mustRun("db", "backup", backup)
	e.env["MAILER_DATABASE"] = backup
	if got := views(); got != before {
		t.Fatalf("the backup reads differently")
	}
}

// TestMigrate: migrate reports the version it brought the database to; a
// database at an older version (the last migration's row and table undone
// by hand) is brought up to date.
func TestMigrate(t *testing.T) {
	e := newTestEnv(t)
	files, _ := fs.Glob(migrations.SQLite, "*.sql")
	latest := fmt.Sprintf("schema version %d,", len(files))
	out := e.mustRun("migrate")
	if !strings.Contains(out, latest) {
		t.Fatalf("migrate said: %s", out)
	}
	raw := e.raw(t)
	for _, q := range []string{`DELETE FROM schema_migrations WHERE version = 14`, `DROP INDEX deliveries_sending`,
		`ALTER TABLE deliveries DROP COLUMN claim_owner`, `ALTER TABLE deliveries DROP COLUMN claim_until`,
		`ALTER TABLE sends DROP COLUMN rate`, `ALTER TABLE sends DROP COLUMN rate_burst`, `ALTER TABLE sends DROP COLUMN rate_tat`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if out := e.mustRun("migrate"); !strings.Contains(out, latest) {
		t.Fatalf("after undoing version 14, migrate said: %s", out)
	}
}
