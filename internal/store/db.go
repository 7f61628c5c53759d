// Package store keeps lists, subscribers, memberships and their audit log in
// SQLite, or in PostgreSQL when the database setting is a postgres:// URL.
// It is the only package that speaks SQL; queries live next to the methods
// that run them, written once for both (dialect.go), and the schema lives in
// migrations/, one set per dialect.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"mailer/internal/fault"
	"mailer/migrations"
)

// DB is an open mailer database: a SQLite file, or a PostgreSQL database
// (postgres.go).
type DB struct {
	sql     *conn
	path    string   // the file, or the URL without its password
	secrets []string // the URL's passwords, kept out of every error (redact.go)
	dialect dialect

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt

	// Now returns the current time; tests replace it to control timestamps.
	Now func() time.Time
}

// Options change how Open behaves.
type Options struct {
	// Create makes a missing database file (and its directory) instead of
	// failing: only `mailer init` and tests want that.
	Create bool
	// Migrations overrides the embedded schema; tests use it to build old and
	// too-new databases.
	Migrations fs.FS
	// BusyTimeout is how long a statement waits for another process's write
	// lock before the store reports the database busy. Default 10s.
	BusyTimeout time.Duration
}

// Open opens the database at path, applies any pending migrations and
// returns it ready for use. A database whose schema is newer than this
// binary knows is refused, so an old binary never writes to it.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if IsURL(path) {
		return openPostgres(ctx, path, opts)
	}
	if opts.Migrations == nil {
		opts.Migrations = migrations.SQLite
	}
	if opts.BusyTimeout == 0 {
		opts.BusyTimeout = 10 * time.Second
	}
	if _, err := os.Stat(path); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fault.Wrap(fault.Unavailable, err, "database %s", path)
		}
		if !opts.Create {
			return nil, fault.Errorf(fault.NotFound, "database %s does not exist (run `mailer init` first)", path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fault.Wrap(fault.Unavailable, err, "create directory for database %s", path)
		}
		// Subscriber data is nobody else's business: the file is made 0600
		// before SQLite opens it, and SQLite gives its -wal and -shm files
		// the database file's mode.
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fault.Wrap(fault.Unavailable, err, "create database %s", path)
		}
		f.Close()
	}
	sqlDB, err := sql.Open("sqlite3", dsn(path, opts.BusyTimeout))
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "open database %s", path)
	}
	db := &DB{sql: &conn{db: sqlDB, b: &binder{d: sqliteDialect}}, path: path, dialect: sqliteDialect, Now: time.Now}
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, db.wrap(err, "open database "+path)
	}
	if err := db.migrate(ctx, opts.Migrations); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// dsn builds the go-sqlite3 connection string. WAL lets readers and one
// writer work at once, so `mailer serve` and `mailer send` can share a file;
// the busy timeout makes a second writer wait instead of failing; immediate
// transactions take the write lock at BEGIN, which avoids the deadlock two
// deferred transactions hit when both try to upgrade from reading to writing.
func dsn(path string, busy time.Duration) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return fmt.Sprintf("file:%s?_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=on&_busy_timeout=%d&_txlock=immediate",
		escaped, busy.Milliseconds())
}

// IsURL says whether a database setting names PostgreSQL
// (postgres://...) rather than a SQLite file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Shared says whether the database is PostgreSQL, which processes on
// several machines share: their daemons deliver one send together.
func (db *DB) Shared() bool { return db.dialect == postgresDialect }

// Path is the database file's path, or the PostgreSQL URL without its
// password.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error {
	db.stmtMu.Lock()
	for _, s := range db.stmts {
		s.Close()
	}
	db.stmts = nil
	db.stmtMu.Unlock()
	return db.sql.Close()
}

// stmt is a statement the sender runs for every message.
type stmt interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
}

// prepared returns query ready to run in tx. On SQLite it is prepared once
// for the database and bound to tx: the sender runs the same few
// statements for every message, and parsing them each time cost more than
// running them. pgx caches prepared statements per connection by itself,
// and binding a statement to a transaction on another connection would
// prepare it again each time, so on PostgreSQL the query runs as it is.
func (db *DB) prepared(ctx context.Context, tx *txn, query string) (stmt, error) {
	if db.dialect == postgresDialect {
		return txQuery{tx: tx, q: query}, nil
	}
	db.stmtMu.Lock()
	s, ok := db.stmts[query]
	if !ok {
		var err error
		if s, err = db.sql.PrepareContext(ctx, query); err != nil {
			db.stmtMu.Unlock()
			return nil, err
		}
		if db.stmts == nil {
			db.stmts = map[string]*sql.Stmt{}
		}
		db.stmts[query] = s
	}
	db.stmtMu.Unlock()
	return tx.StmtContext(ctx, s), nil
}

// txQuery runs one query in a transaction, as stmt.
type txQuery struct {
	tx *txn
	q  string
}

func (t txQuery) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.q, args...)
}

func (t txQuery) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.q, args...)
}

func (db *DB) now() string { return formatTime(db.Now()) }

// timeLayout has a fixed width so that stored times sort and compare
// correctly as text (RFC3339Nano drops trailing zeros, and "…05Z" would then
// sort after "…05.5Z").
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func parseNullTime(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseTime(s.String)
	return &t
}

// inTx runs fn in a write transaction and commits it when fn returns nil.
// SQLite takes the write lock at BEGIN, so writers run one at a time; on
// PostgreSQL the transaction is SERIALIZABLE, which gives the same
// outcome, and one that lost a conflict is run again from the start.
func (db *DB) inTx(ctx context.Context, what string, fn func(tx *txn) error) error {
	return db.inTxIso(ctx, what, sql.LevelSerializable, fn)
}

// inTxIso is inTx at the given isolation on PostgreSQL. The queue's claims
// use READ COMMITTED: they lock the rows they take (FOR UPDATE SKIP
// LOCKED), and workers of one send would otherwise keep failing each
// other's serialization.
func (db *DB) inTxIso(ctx context.Context, what string, level sql.IsolationLevel, fn func(tx *txn) error) error {
	var opts *sql.TxOptions
	if db.dialect == postgresDialect {
		opts = &sql.TxOptions{Isolation: level}
	}
	for attempt := 0; ; attempt++ {
		err := db.tryTx(ctx, opts, fn)
		if err == nil {
			return nil
		}
		if attempt < maxTxRetries && retryable(err) {
			if werr := backoff(ctx, attempt); werr == nil {
				continue
			}
		}
		return db.wrap(err, what)
	}
}

func (db *DB) tryTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *txn) error) error {
	tx, err := db.sql.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// wrap turns driver errors into coded errors. Busy, locked, full and I/O
// errors are Unavailable: the caller (an MTA, a retrying sender) should try
// again later rather than drop the work. Errors that already carry a code
// pass through.
func (db *DB) wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	var fe *fault.Error
	if errors.As(err, &fe) {
		return err
	}
	err = scrub(err, db.secrets)
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrBusy, sqlite3.ErrLocked:
			return fault.Explain(fault.Unavailable, err, "%s: database %s is busy (another mailer process is writing to it, such as a send); try again later", what, db.path)
		case sqlite3.ErrFull:
			return fault.Explain(fault.Unavailable, err, "%s: disk full writing %s", what, db.path)
		case sqlite3.ErrIoErr, sqlite3.ErrCantOpen, sqlite3.ErrProtocol:
			return fault.Wrap(fault.Unavailable, err, "%s: cannot use database %s", what, db.path)
		case sqlite3.ErrReadonly, sqlite3.ErrPerm, sqlite3.ErrAuth:
			return fault.Wrap(fault.Invalid, err, "%s: database %s is not writable", what, db.path)
		case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
			return fault.Wrap(fault.Invalid, err, "%s: %s is not a usable mailer database", what, db.path)
		}
	}
	if fe := pgFault(err, what, db.path); fe != nil {
		return fe
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fault.Wrap(fault.Unavailable, err, "%s", what)
	}
	return fault.Wrap(fault.Internal, err, "%s", what)
}
