package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/pgtest"
	"mailer/internal/store"
	"mailer/migrations"
)

// MustOpenDB opens a fresh database in a temporary directory with a clock
// that starts at a fixed time and advances one second per call.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), testDatabase(tb), store.Options{Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	var mu sync.Mutex
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	return db
}

// testDatabase is a new, empty database of the backend this run tests
// (pgtest.Main runs the package's tests on SQLite, then on PostgreSQL).
func testDatabase(tb testing.TB) string {
	if pgtest.Backend == "postgres" {
		return pgtest.Database(tb)
	}
	return filepath.Join(tb.TempDir(), "mailer.db")
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func mustAddr(tb testing.TB, s string) address.Address {
	tb.Helper()
	a, err := address.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func mustList(tb testing.TB, db *store.DB, name string) *store.List {
	tb.Helper()
	l, err := db.CreateList(context.Background(), name, store.ListSettings{})
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

func TestOpenMissingDatabaseWithoutCreate(t *testing.T) {
	_, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "nope.db"), store.Options{})
	if fault.CodeOf(err) != fault.NotFound || !strings.Contains(err.Error(), "mailer init") {
		t.Fatalf("err = %v (%s), want NotFound pointing at mailer init", err, fault.CodeOf(err))
	}
}

func TestMigrationsApplyOnEmptyAndOldDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	v1 := fstest.MapFS{"0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)}}
	v2 := fstest.MapFS{
		"0001_a.sql": v1["0001_a.sql"],
		"0002_b.sql": {Data: []byte(`ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b (z INTEGER);`)},
	}
	db, err := store.Open(ctx, path, store.Options{Create: true, Migrations: v1})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := db.SchemaVersion(ctx); v != 1 {
		t.Fatalf("version after v1 = %d, want 1", v)
	}
	db.Close()

	db, err = store.Open(ctx, path, store.Options{Migrations: v2})
	if err != nil {
		t.Fatalf("upgrading an old database: %v", err)
	}
	if v, _ := db.SchemaVersion(ctx); v != 2 {
		t.Fatalf("version after v2 = %d, want 2", v)
	}
	db.Close()

	// Opening again applies nothing twice (a second ALTER would fail).
	db, err = store.Open(ctx, path, store.Options{Migrations: v2})
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	db.Close()

	// The old binary must refuse the upgraded database.
	_, err = store.Open(ctx, path, store.Options{Migrations: v1})
	if err == nil || !strings.Contains(err.Error(), "newer than this mailer knows") {
		t.Fatalf("old binary on new database: err = %v", err)
	}
}

func TestFailedMigrationLeavesPreviousVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	bad := fstest.MapFS{
		"0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
		"0002_b.sql": {Data: []byte(`CREATE TABLE b (z INTEGER); THIS IS NOT SQL;`)},
	}
	if _, err := store.Open(ctx, path, store.Options{Create: true, Migrations: bad}); err == nil {
		t.Fatal("broken migration accepted")
	}
	good := fstest.MapFS{"0001_a.sql": bad["0001_a.sql"]}
	db, err := store.Open(ctx, path, store.Options{Migrations: good})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.SchemaVersion(ctx); v != 1 {
		t.Fatalf("version = %d, want 1 (migration 2 rolled back)", v)
	}
}

func TestEmbeddedSchemaApplies(t *testing.T) {
	db := MustOpenDB(t)
	if v, err := db.SchemaVersion(context.Background()); err != nil || v < 1 {
		t.Fatalf("version = %d, %v", v, err)
	}
}

func TestTwoConnectionsWritingAtOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	a, err := store.Open(ctx, path, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.CreateList(ctx, "shared", store.ListSettings{}); err != nil {
		t.Fatal(err)
	}
	const perWriter = 200
	var wg sync.WaitGroup
	errs := make(chan error, 2*perWriter)
	for w, db := range []*store.DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				addr := address.Address{Local: fmt.Sprintf("writer%d-%d", w, i), Domain: "example.org"}
				if _, err := db.SetStatus(ctx, listOf(t, db, "shared"), addr, store.Active, store.Evidence{Source: store.SourceAdmin}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write failed: %v", err)
	}
	l, err := a.GetList(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if l.Counts[store.Active] != 2*perWriter {
		t.Fatalf("active = %d, want %d", l.Counts[store.Active], 2*perWriter)
	}
}

func TestBusyDatabaseIsUnavailable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	db, err := store.Open(ctx, path, store.Options{Create: true, BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustList(t, db, "news")

	// Another process holds the write lock.
	other, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	_, err = db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "a@example.org"), store.Active, store.Evidence{Source: store.SourceAdmin})
	if fault.CodeOf(err) != fault.Unavailable || !strings.Contains(err.Error(), "busy") {
		t.Fatalf("write under someone else's lock: %v (%s), want unavailable", err, fault.CodeOf(err))
	}
	conn.ExecContext(ctx, "ROLLBACK")
	if _, err := db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "a@example.org"), store.Active, store.Evidence{Source: store.SourceAdmin}); err != nil {
		t.Fatalf("after the lock was released: %v", err)
	}
}

func TestRealSchemaUpgradesOldDatabaseKeepingData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	first, err := fs.ReadFile(migrations.SQLite, "0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, path, store.Options{Create: true, Migrations: fstest.MapFS{"0001_init.sql": {Data: first}}})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	rawExec(t, path, `INSERT INTO lists (name, title, created_at, updated_at) VALUES ('old', 'Old list', 'x', 'x')`)

	db, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer db.Close()
	l, err := db.GetList(ctx, "old")
	if err != nil || l.Title != "Old list" || l.SubjectPrefix != "" {
		t.Fatalf("after upgrade: %+v %v", l, err)
	}
	prefix := "[old] "
	if l, err = db.UpdateList(ctx, "old", store.ListSettings{SubjectPrefix: &prefix}); err != nil || l.SubjectPrefix != prefix {
		t.Fatalf("subject prefix: %+v %v", l, err)
	}
}

// rawExec runs SQL on the file through a separate connection, as another
// program would.
func rawExec(t *testing.T, path, q string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(q); err != nil {
		t.Fatal(err)
	}
}

// TestDatabaseFilesArePrivate: the database and its WAL and shared-memory
// files hold subscriber data; only their owner may read them.
func TestDatabaseFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "m.db")
	db, err := store.Open(context.Background(), path, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateList(context.Background(), "news", store.ListSettings{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %v: readable by others", f, st.Mode().Perm())
		}
	}
}

// oldDatabase is a SQLite file at the schema before 0015 with list "old"
// and two active members, ann's bounce bookkeeping filled in.
func oldDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old := fstest.MapFS{}
	entries, err := fs.ReadDir(migrations.SQLite, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() < "0015" {
			data, _ := fs.ReadFile(migrations.SQLite, e.Name())
			old[e.Name()] = &fstest.MapFile{Data: data}
		}
	}
	db, err := store.Open(ctx, path, store.Options{Create: true, Migrations: old})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateList(ctx, "old", store.ListSettings{}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"ann@example.org", "bob@example.org"} {
		if _, err := db.SetStatus(ctx, listOf(t, db, "old"), mustAddr(t, a), store.Active, admin); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	rawExec(t, path, `UPDATE memberships SET bounce_score = 1.5, bounce_last_reason = 'mailbox full'`)
	return path
}

// TestComplainedMigrationKeepsMemberships: the rebuild of memberships that
// lets SQLite store "complained" (0015) keeps every row, its bounce score
// and the indexes' order, and the new status is stored and read back.
func TestComplainedMigrationKeepsMemberships(t *testing.T) {
	ctx := context.Background()
	path := oldDatabase(t)
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer db.Close()
	l := listOf(t, db, "old")
	if _, err := db.SetStatus(ctx, l, mustAddr(t, "bob@example.org"), store.Complained, admin); err != nil {
		t.Fatalf("complained after the upgrade: %v", err)
	}
	ann, err := db.GetMember(ctx, l, "ann@example.org")
	if err != nil || ann.Status != store.Active {
		t.Fatalf("ann after the upgrade: %+v %v", ann, err)
	}
	bob, err := db.GetMember(ctx, l, "bob@example.org")
	if err != nil || bob.Status != store.Complained {
		t.Fatalf("bob: %+v %v", bob, err)
	}
	var score float64
	var reason string
	raw, _ := sql.Open("sqlite3", path)
	defer raw.Close()
	if err := raw.QueryRow(`SELECT bounce_score, bounce_last_reason FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id
		WHERE s.address = 'ann@example.org'`).Scan(&score, &reason); err != nil || score != 1.5 || reason != "mailbox full" {
		t.Fatalf("bounce bookkeeping lost: %v %v %v", score, reason, err)
	}
	n := 0
	for m, err := range db.Members(ctx, l, store.Active) {
		if err != nil {
			t.Fatal(err)
		}
		if m.Address != "ann@example.org" {
			t.Errorf("active member %s", m.Address)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d active members, want ann only", n)
	}
}
