package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
)

// dialect is the SQL spoken by the database behind a DB. Queries are
// written once, with SQLite's placeholders (? and ?N) and SQL both
// databases accept; for PostgreSQL the placeholders are rebound to $N.
type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

// binder rewrites placeholders for a dialect, each query once.
type binder struct {
	d     dialect
	cache sync.Map // query → rebound query
}

func (b *binder) bind(q string) string {
	if b.d == sqliteDialect {
		return q
	}
	if r, ok := b.cache.Load(q); ok {
		return r.(string)
	}
	r := rebind(q)
	b.cache.Store(q, r)
	return r
}

// rebind turns ? into $1, $2 ... in order and ?N into $N, leaving quoted
// strings and identifiers alone.
func rebind(q string) string {
	var out strings.Builder
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j > i+1 {
				out.WriteString("$" + q[i+1:j])
			} else {
				n++
				out.WriteString("$" + strconv.Itoa(n))
			}
			i = j - 1
			continue
		}
		out.WriteByte(c)
	}
	return out.String()
}

// conn is the connection pool, speaking the store's SQL.
type conn struct {
	db *sql.DB
	b  *binder
}

func (c *conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, c.b.bind(q), args...)
}

func (c *conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.db.QueryContext(ctx, c.b.bind(q), args...)
}

func (c *conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return c.db.QueryRowContext(ctx, c.b.bind(q), args...)
}

func (c *conn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return c.db.PrepareContext(ctx, c.b.bind(q))
}

func (c *conn) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	tx, err := c.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{tx: tx, b: c.b}, nil
}

func (c *conn) PingContext(ctx context.Context) error { return c.db.PingContext(ctx) }
func (c *conn) Close() error                          { return c.db.Close() }

// txn is a transaction, speaking the store's SQL.
type txn struct {
	tx *sql.Tx
	b  *binder
}

func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.b.bind(q), args...)
}

func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.b.bind(q), args...)
}

func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.b.bind(q), args...)
}

func (t *txn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, t.b.bind(q))
}

// StmtContext binds a statement prepared on the pool to the transaction.
func (t *txn) StmtContext(ctx context.Context, s *sql.Stmt) *sql.Stmt {
	return t.tx.StmtContext(ctx, s)
}

func (t *txn) Commit() error   { return t.tx.Commit() }
func (t *txn) Rollback() error { return t.tx.Rollback() }
