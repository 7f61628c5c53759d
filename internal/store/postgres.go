package store

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"mailer/internal/fault"
	"mailer/migrations"
)

// openPostgres opens the PostgreSQL database at the URL dsn and migrates
// it. Unlike a SQLite file it is never created here: the database is the
// administrator's (createdb), the schema is ours.
func openPostgres(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.Migrations == nil {
		opts.Migrations = migrations.Postgres
	}
	if opts.BusyTimeout == 0 {
		opts.BusyTimeout = 10 * time.Second
	}
	// Neither the URL's password nor a driver error quoting it may reach a
	// message: `receive`'s errors end up in the MTA's log.
	shown, secrets := redact(dsn), secretsOf(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, scrub(err, secrets), "database %s", shown)
	}
	// As SQLite's busy timeout: a statement waits this long for another
	// session's lock, then the store says the database is busy.
	if _, set := cfg.RuntimeParams["lock_timeout"]; !set {
		cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)
	}
	sqlDB := stdlib.OpenDB(*cfg)
	// A mailer process needs a few connections (a send's ledger, its
	// helpers, the web pages); many processes share one server.
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(4)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{sql: &conn{db: sqlDB, b: &binder{d: postgresDialect}}, path: shown, secrets: secrets, dialect: postgresDialect, Now: time.Now}
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, db.wrap(err, "open database "+shown)
	}
	if err := db.migrate(ctx, opts.Migrations); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// maxTxRetries bounds how often a transaction that lost a serialization
// conflict is run again before the caller is told to try later.
const maxTxRetries = 8

// retryable: the transaction lost a conflict with another (serialization
// failure, deadlock) and may simply be run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// backoff waits a little longer after each lost conflict, with jitter so
// the losers do not collide again.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(1<<attempt)*time.Millisecond + time.Duration(rand.Int64N(int64(2*time.Millisecond)))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// pgFault codes a PostgreSQL error, or returns nil for one that is not.
// What passes (a server down or restarting, too many connections, a full
// disk, lost conflicts) is Unavailable: the MTA or the sender tries again.
func pgFault(err error, what, db string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "55P03":
			return fault.Explain(fault.Unavailable, err, "%s: database %s is busy (another mailer process is writing to it, such as a send); try again later", what, db)
		case pe.Code == "40001" || pe.Code == "40P01":
			return fault.Explain(fault.Unavailable, err, "%s: database %s is busy (conflicting writers); try again later", what, db)
		case pe.Code == "53100":
			return fault.Explain(fault.Unavailable, err, "%s: disk full on database %s", what, db)
		case pe.Code[:2] == "08" || pe.Code[:2] == "53" || pe.Code[:2] == "57":
			return fault.Explain(fault.Unavailable, err, "%s: cannot use database %s: %v", what, db, pe.Message)
		case pe.Code == "42501" || pe.Code == "25006":
			return fault.Explain(fault.Invalid, err, "%s: database %s is not writable for this user: %v", what, db, pe.Message)
		case pe.Code == "3D000" || pe.Code == "28000" || pe.Code == "28P01":
			return fault.Explain(fault.Invalid, err, "%s: database %s: %v", what, db, pe.Message)
		}
		return nil
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, sql.ErrConnDone) {
		return fault.Wrap(fault.Unavailable, err, "%s: cannot reach database %s", what, db)
	}
	return nil
}
