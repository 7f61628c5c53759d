package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"mailer/internal/fault"
)

// copyTables are every table of the schema, parents before children, each
// with the columns that order its rows. The hooks come after memberships
// and sends, so that copying those fires no event webhook (migration 0023).
var copyTables = []struct{ name, order string }{
	{"lists", "id"}, {"list_owners", "list_id, address"}, {"subscribers", "id"},
	{"memberships", "list_id, subscriber_id"}, {"audit_log", "id"}, {"sends", "id"},
	{"deliveries", "id"}, {"confirmations", "id"}, {"replies", "id"}, {"bounces", "id"},
	{"archive", "id"}, {"schedules", "id"}, {"archive_assets", "list_id, slug, path"},
	{"accounts", "email"}, {"sessions", "id_hash"}, {"login_failures", "id"}, {"api_tokens", "name"},
	{"hooks", "id"}, {"hook_events", "id"}, {"hook_attempts", "id"},
}

// boolColumns are stored as 0/1 in SQLite and as booleans in PostgreSQL.
var boolColumns = map[string]bool{"welcome": true, "permanent": true, "paused": true, "admin": true}

// TableSum is a table's row count and a SHA-256 over its rows in key
// order, the same for equal content in either database.
type TableSum struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
	Sum   string `json:"sha256"`
}

// CopyTo copies everything in db (lists, members, audit log, sends and
// delivery records, bounce scores, schedules, archive, logins and tokens) into dst, which
// must be an empty database at the same schema version, in one
// transaction, keeping every id; then it compares each table's count and
// checksum in both and returns them.
func (db *DB) CopyTo(ctx context.Context, dst *DB) ([]TableSum, error) {
	if err := db.sameSchema(ctx, dst); err != nil {
		return nil, err
	}
	err := dst.inTx(ctx, "copy into "+dst.path, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM lists) + (SELECT count(*) FROM subscribers) + (SELECT count(*) FROM audit_log)`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fault.Errorf(fault.Conflict, "database %s is not empty: copy only into a new database", dst.path)
		}
		for _, t := range copyTables {
			if err := db.copyTable(ctx, tx, dst.dialect, t.name, t.order); err != nil {
				return fmt.Errorf("copy %s: %w", t.name, err)
			}
		}
		return dst.resetIdentities(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return db.verifyCopy(ctx, dst)
}

func (db *DB) sameSchema(ctx context.Context, dst *DB) error {
	from, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	to, err := dst.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if from != to {
		return fault.Errorf(fault.Invalid, "%s has schema version %d and %s %d: open both with this mailer first", db.path, from, dst.path, to)
	}
	return nil
}

// copyTable streams one table's rows into the destination's transaction.
func (db *DB) copyTable(ctx context.Context, tx *txn, to dialect, table, order string) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT * FROM `+table+` ORDER BY `+order)
	if err != nil {
		return err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	cols := make([]string, len(types))
	for i, t := range types {
		cols[i] = t.Name()
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	insert, err := tx.PrepareContext(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`)
	if err != nil {
		return err
	}
	defer insert.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, c := range cols {
			if boolColumns[c] {
				vals[i] = asBool(vals[i], to)
			} else if b, ok := vals[i].([]byte); ok && !isBlob(types[i]) {
				vals[i] = string(b)
			}
		}
		if _, err := insert.ExecContext(ctx, vals...); err != nil {
			return err
		}
	}
	return rows.Err()
}

func isBlob(t *sql.ColumnType) bool {
	n := strings.ToUpper(t.DatabaseTypeName())
	return n == "BLOB" || n == "BYTEA"
}

// asBool converts a stored flag for the destination's dialect.
func asBool(v any, to dialect) any {
	var b bool
	switch x := v.(type) {
	case bool:
		b = x
	case int64:
		b = x != 0
	default:
		return v
	}
	if to == sqliteDialect {
		return map[bool]int64{false: 0, true: 1}[b]
	}
	return b
}

// resetIdentities moves PostgreSQL's id sequences past the copied ids.
func (db *DB) resetIdentities(ctx context.Context, tx *txn) error {
	if db.dialect != postgresDialect {
		return nil
	}
	for _, t := range copyTables {
		if t.order != "id" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t.name+`', 'id'), coalesce(max(id), 0) + 1, false) FROM `+t.name); err != nil {
			return err
		}
	}
	return nil
}

// verifyCopy compares every table of db and dst.
func (db *DB) verifyCopy(ctx context.Context, dst *DB) ([]TableSum, error) {
	from, err := db.Checksums(ctx)
	if err != nil {
		return nil, err
	}
	to, err := dst.Checksums(ctx)
	if err != nil {
		return nil, err
	}
	for i := range from {
		if from[i] != to[i] {
			return from, fault.Errorf(fault.Internal, "copy differs in %s: %d rows %.12s here, %d rows %.12s there",
				from[i].Table, from[i].Rows, from[i].Sum, to[i].Rows, to[i].Sum)
		}
	}
	return from, nil
}

// Checksums counts and hashes every table, values written out the same
// way whichever database holds them.
func (db *DB) Checksums(ctx context.Context) ([]TableSum, error) {
	var out []TableSum
	for _, t := range copyTables {
		s, err := db.checksum(ctx, t.name, t.order)
		if err != nil {
			return nil, db.wrap(err, "checksum "+t.name)
		}
		out = append(out, s)
	}
	return out, nil
}

func (db *DB) checksum(ctx context.Context, table, order string) (TableSum, error) {
	s := TableSum{Table: table}
	rows, err := db.sql.QueryContext(ctx, `SELECT * FROM `+table+` ORDER BY `+order)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return s, err
	}
	h := sha256.New()
	cols := make([]string, len(types))
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return s, err
		}
		for i, t := range types {
			writeValue(h, isBlob(t), vals[i])
		}
		h.Write([]byte{'\n'})
		s.Rows++
	}
	s.Sum = hex.EncodeToString(h.Sum(nil))
	return s, rows.Err()
}

// writeValue writes one value in a form both drivers agree on.
func writeValue(h hash.Hash, blob bool, v any) {
	if b, ok := v.([]byte); ok && !blob {
		v = string(b) // a driver may hand text over as bytes
	}
	switch x := v.(type) {
	case nil:
		fmt.Fprint(h, "\x00N")
	case bool:
		fmt.Fprintf(h, "\x00i%d", map[bool]int{false: 0, true: 1}[x])
	case int64:
		fmt.Fprintf(h, "\x00i%d", x)
	case int32:
		fmt.Fprintf(h, "\x00i%d", x)
	case float64:
		fmt.Fprintf(h, "\x00f%s", strconv.FormatFloat(x, 'g', -1, 64))
	case []byte:
		fmt.Fprintf(h, "\x00b%d:", len(x))
		h.Write(x)
	case string:
		fmt.Fprintf(h, "\x00s%d:%s", len(x), x)
	default:
		fmt.Fprintf(h, "\x00?%v", x)
	}
}
