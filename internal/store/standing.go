package store

import (
	"context"
	"strings"

	"mailer/internal/address"
)

// StandingOf lists every list of this site addr has a membership on,
// whatever its status, by list name: the reader's preference page shows
// where the address is mailed and where it has left.
func (db *DB) StandingOf(ctx context.Context, addr string) ([]Membership, error) {
	return db.memberships(ctx, addr)
}

// memberships reads addr's memberships by list name: those of the given
// statuses, or all when none is given.
func (db *DB) memberships(ctx context.Context, addr string, only ...Status) ([]Membership, error) {
	q := `SELECT l.name, l.title, m.status FROM memberships m
		JOIN subscribers s ON s.id = m.subscriber_id JOIN lists l ON l.id = m.list_id WHERE s.address_key = ?`
	args := []any{address.Key(addr)}
	if len(only) > 0 {
		q += ` AND m.status IN (?` + strings.Repeat(", ?", len(only)-1) + `)`
		for _, st := range only {
			args = append(args, st)
		}
	}
	rows, err := db.sql.QueryContext(ctx, q+` ORDER BY l.name`, args...)
	if err != nil {
		return nil, db.wrap(err, "read memberships")
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var m Membership
		if err := rows.Scan(&m.List, &m.Title, &m.Status); err != nil {
			return nil, db.wrap(err, "read memberships")
		}
		out = append(out, m)
	}
	return out, db.wrap(rows.Err(), "read memberships")
}
