package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"mailer/internal/fault"
)

// migration is one numbered schema file.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads NNNN_name.sql files from fsys in version order.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", e.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, e.Name(), v)
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies the migrations the database lacks, each in its own
// transaction with its version row, so a crash leaves the schema at a known
// version. The write lock is taken before the version is read, so two
// processes opening a fresh file at once cannot both apply a migration.
func (db *DB) migrate(ctx context.Context, fsys fs.FS) error {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return fault.Coded(fault.Internal, err)
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	// An up-to-date database is only read: a command that reads (lists
	// ls) must not wait for, or fail on, the write lock of a running send.
	if current, ok := db.currentVersion(ctx); ok && current >= known {
		return db.checkNotNewer(current, known)
	}
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return db.wrap(err, "prepare schema")
	}
	for _, m := range ms {
		err := db.inTx(ctx, "apply migration "+m.name, func(tx *txn) error {
			if err := db.lockSchema(ctx, tx); err != nil {
				return err
			}
			current, err := schemaVersion(ctx, tx)
			if err != nil {
				return err
			}
			if err := db.checkNotNewer(current, known); err != nil {
				return err
			}
			var applied int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&applied); err != nil {
				return err
			}
			if applied > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, db.now())
			return err
		})
		if err != nil {
			return err
		}
	}
	// With nothing left to apply the loop may not have looked at the version
	// (an empty migration set); check once more for a newer database.
	current, err := schemaVersion(ctx, db.sql)
	if err != nil {
		return db.wrap(err, "read schema version")
	}
	return db.checkNotNewer(current, known)
}

// lockSchema makes migrators on PostgreSQL take turns, as SQLite's write
// lock does: two processes must not both create the same table. The lock
// ends with the transaction.
func (db *DB) lockSchema(ctx context.Context, tx *txn) error {
	if db.dialect != postgresDialect {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7262537)`) // "mailer" on a phone pad
	return err
}

func (db *DB) checkNotNewer(current, known int) error {
	if current > known {
		return fault.Errorf(fault.Invalid,
			"database %s has schema version %d, newer than this mailer knows (%d): upgrade mailer before using it",
			db.path, current, known)
	}
	return nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// currentVersion reads the schema version without taking the write lock;
// ok is false when it cannot tell (a fresh file, an error).
func (db *DB) currentVersion(ctx context.Context) (int, bool) {
	var n int
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if db.dialect == postgresDialect {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`
	}
	if err := db.sql.QueryRowContext(ctx, q).Scan(&n); err != nil || n == 0 {
		return 0, false
	}
	v, err := schemaVersion(ctx, db.sql)
	return v, err == nil
}

func schemaVersion(ctx context.Context, q queryer) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// SchemaVersion reports the highest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	v, err := schemaVersion(ctx, db.sql)
	return v, db.wrap(err, "read schema version")
}
