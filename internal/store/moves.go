package store

import (
	"context"
	"time"
)

// DayMoves is how many members of a list came and went on one day (UTC).
type DayMoves struct {
	Day    string // YYYY-MM-DD
	Joined int    // became active
	Left   int    // were active and stopped: left, bounced, reported spam, removed
}

// Moves reads the list's joins and departures per day since since, from
// the audit log (every change of status is written there in the change's
// transaction, so the chart and the members never disagree). Days without
// any are absent. The audit log's index by list and time serves it.
func (db *DB) Moves(ctx context.Context, l *List, since time.Time) ([]DayMoves, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT substr(at, 1, 10) AS day,
			sum(CASE WHEN new_status = 'active' AND old_status <> 'active' THEN 1 ELSE 0 END),
			sum(CASE WHEN old_status = 'active' AND new_status <> 'active' AND new_status <> '' THEN 1 ELSE 0 END)
		FROM audit_log WHERE list_name = ? AND at >= ? GROUP BY substr(at, 1, 10) ORDER BY day`, l.Name, formatTime(since))
	if err != nil {
		return nil, db.wrap(err, "read the list's joins and departures")
	}
	defer rows.Close()
	var out []DayMoves
	for rows.Next() {
		var d DayMoves
		if err := rows.Scan(&d.Day, &d.Joined, &d.Left); err != nil {
			return nil, db.wrap(err, "read the list's joins and departures")
		}
		if d.Joined > 0 || d.Left > 0 {
			out = append(out, d)
		}
	}
	return out, db.wrap(rows.Err(), "read the list's joins and departures")
}
