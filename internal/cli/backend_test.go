package cli

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", to reach PostgreSQL past the store

	"mailer/internal/pgtest"
	"mailer/internal/store"
)

// TestMain runs every test on SQLite, then again on PostgreSQL.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// useBackend gives a new environment a database of this run's backend:
// "" for the SQLite file `mailer init` makes, or the URL of a new
// PostgreSQL database for init --database, so that the config names it
// (for the real binary run by Postfix too).
func (e *testEnv) useBackend(t testing.TB) string {
	if pgtest.Backend == "postgres" {
		e.pgURL = pgtest.Database(t)
	}
	return e.pgURL
}

// database is the environment's database: the file or the URL.
func (e *testEnv) database() string {
	if e.pgURL != "" {
		return e.pgURL
	}
	return filepath.Join(e.dir, "mailer.db")
}

// openStore opens the environment's database as mailer does.
func (e *testEnv) openStore(t testing.TB) *store.DB {
	db, err := store.Open(context.Background(), e.database(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// raw opens the environment's database past the store, for tests that
// play another process or a newer mailer.
func (e *testEnv) raw(t testing.TB) *sql.DB {
	driver := "sqlite3"
	if store.IsURL(e.database()) {
		driver = "pgx"
	}
	db, err := sql.Open(driver, e.database())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// holdLock plays another process in the middle of a write: it holds the
// write lock (SQLite) or locks the tables against writers (PostgreSQL);
// with readsToo, against readers as well. It returns the release.
func (e *testEnv) holdLock(t testing.TB, readsToo bool) func() {
	ctx := context.Background()
	conn, err := e.raw(t).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{"BEGIN IMMEDIATE"}
	if readsToo {
		stmts = []string{"BEGIN EXCLUSIVE"}
	}
	if pgtest.Backend == "postgres" {
		mode := "EXCLUSIVE"
		if readsToo {
			mode = "ACCESS EXCLUSIVE"
		}
		stmts = []string{"BEGIN", "LOCK TABLE lists, subscribers, memberships, audit_log, confirmations, replies, bounces IN " + mode + " MODE"}
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		conn.ExecContext(ctx, "ROLLBACK")
		conn.Close()
	}
}
