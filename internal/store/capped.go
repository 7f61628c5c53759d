package store

import (
	"context"
	"time"
)

// The caps that stop mailer's own mail (package mailout), as counted in
// the capped table.
const (
	CapSite    = "site"    // a budget's site-wide cap: the request is held back, to come again
	CapAddress = "address" // the cap for one address: the mail is dropped
)

// RecordCapped notes one mail a cap stopped.
func (db *DB) RecordCapped(ctx context.Context, cap, budget string) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO capped (at, cap, budget) VALUES (?, ?, ?)`, db.now(), cap, budget)
	return db.wrap(err, "record capped mail")
}

// CappedCount is how many mails one cap stopped for one budget.
type CappedCount struct {
	Cap, Budget string
	N           int
}

// CappedSince counts the mails the caps stopped since t, by cap and budget.
func (db *DB) CappedSince(ctx context.Context, t time.Time) ([]CappedCount, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT cap, budget, count(*) FROM capped WHERE at >= ? GROUP BY cap, budget ORDER BY cap DESC, budget`,
		formatTime(t))
	if err != nil {
		return nil, db.wrap(err, "count capped mail")
	}
	defer rows.Close()
	var out []CappedCount
	for rows.Next() {
		var c CappedCount
		if err := rows.Scan(&c.Cap, &c.Budget, &c.N); err != nil {
			return nil, db.wrap(err, "count capped mail")
		}
		out = append(out, c)
	}
	return out, db.wrap(rows.Err(), "count capped mail")
}
