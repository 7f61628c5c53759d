package store

import (
	"context"
	"time"

	"mailer/internal/delivery"
)

// MemberCounts counts the memberships of every list by status in one
// grouped query, for the metrics read at scrape time: every list appears,
// members or not, with every status (0 when none), so that a series never
// vanishes when its last member leaves.
func (db *DB) MemberCounts(ctx context.Context) (map[string]map[Status]int, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT l.name, COALESCE(m.status, ''), count(m.list_id)
		FROM lists l LEFT JOIN memberships m ON m.list_id = l.id GROUP BY l.name, m.status`)
	if err != nil {
		return nil, db.wrap(err, "count members")
	}
	defer rows.Close()
	out := map[string]map[Status]int{}
	for rows.Next() {
		var list string
		var st Status
		var n int
		if err := rows.Scan(&list, &st, &n); err != nil {
			return nil, db.wrap(err, "count members")
		}
		if out[list] == nil {
			out[list] = make(map[Status]int, len(Statuses))
			for _, s := range Statuses {
				out[list][s] = 0
			}
		}
		if st != "" {
			out[list][st] = n
		}
	}
	return out, db.wrap(rows.Err(), "count members")
}

// RunningSend is a send still in state sending, as the metrics show it.
type RunningSend struct {
	ID     int64
	List   string
	Counts delivery.Counts
	Paused bool
	// ByMailer: the circuit breaker paused it (a reason is recorded),
	// not a person.
	ByMailer bool
	// SentSince is how many of its messages the relay took since the
	// time RunningSends was given, whichever process sent them.
	SentSince int
}

// RunningSends returns the sends in state sending with their queue's
// counts, and how many of each one's messages were sent since since.
func (db *DB) RunningSends(ctx context.Context, since time.Time) ([]RunningSend, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT s.id, l.name, s.paused, s.pause_reason <> ''
		FROM sends s JOIN lists l ON l.id = s.list_id WHERE s.state = 'sending' ORDER BY s.id`)
	if err != nil {
		return nil, db.wrap(err, "read running sends")
	}
	var out []RunningSend
	for rows.Next() {
		var s RunningSend
		if err := rows.Scan(&s.ID, &s.List, &s.Paused, &s.ByMailer); err != nil {
			rows.Close()
			return nil, db.wrap(err, "read running sends")
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, db.wrap(err, "read running sends")
	}
	sent, err := db.sentSinceBySend(ctx, since)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Counts, err = db.Queue(out[i].ID).Counts(ctx); err != nil {
			return nil, err
		}
		out[i].SentSince = sent[out[i].ID]
	}
	return out, nil
}

// sentSinceBySend counts the messages of running sends sent since t (the
// sent_at index bounds the rows read to that window).
func (db *DB) sentSinceBySend(ctx context.Context, t time.Time) (map[int64]int, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT d.send_id, count(*) FROM deliveries d JOIN sends s ON s.id = d.send_id
		WHERE d.sent_at >= ? AND s.state = 'sending' GROUP BY d.send_id`, formatTime(t))
	if err != nil {
		return nil, db.wrap(err, "count recent deliveries")
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, db.wrap(err, "count recent deliveries")
		}
		out[id] = n
	}
	return out, db.wrap(rows.Err(), "count recent deliveries")
}

// ListWindow is what happened to a list's mail since a time, whichever
// process did it: the messages the relay took, those it refused for good
// (a 5xx while sending), and the spam complaints received.
type ListWindow struct {
	Delivered, Refused, Complaints int
}

// ListWindows counts, per list name, the deliveries, permanent refusals
// and complaints since t, in three grouped queries bounded by their
// indexes (deliveries by sent_at, the permanent failures, complaints by
// list and time). A list with none is absent.
func (db *DB) ListWindows(ctx context.Context, t time.Time) (map[string]ListWindow, error) {
	out := map[string]ListWindow{}
	queries := []struct {
		sql string
		add func(w *ListWindow, n int)
	}{
		{`SELECT l.name, count(*) FROM deliveries d JOIN sends s ON s.id = d.send_id JOIN lists l ON l.id = s.list_id
			WHERE d.sent_at >= ? GROUP BY l.name`, func(w *ListWindow, n int) { w.Delivered = n }},
		{`SELECT l.name, count(*) FROM deliveries d JOIN sends s ON s.id = d.send_id JOIN lists l ON l.id = s.list_id
			WHERE d.permanent = TRUE AND d.updated_at >= ? GROUP BY l.name`, func(w *ListWindow, n int) { w.Refused = n }},
		{`SELECT l.name, count(*) FROM complaints c JOIN lists l ON l.id = c.list_id
			WHERE c.received_at >= ? GROUP BY l.name`, func(w *ListWindow, n int) { w.Complaints = n }},
	}
	for _, q := range queries {
		if err := db.countByList(ctx, q.sql, formatTime(t), func(list string, n int) {
			w := out[list]
			q.add(&w, n)
			out[list] = w
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) countByList(ctx context.Context, q string, arg any, each func(list string, n int)) error {
	rows, err := db.sql.QueryContext(ctx, q, arg)
	if err != nil {
		return db.wrap(err, "count the last day's mail")
	}
	defer rows.Close()
	for rows.Next() {
		var list string
		var n int
		if err := rows.Scan(&list, &n); err != nil {
			return db.wrap(err, "count the last day's mail")
		}
		each(list, n)
	}
	return db.wrap(rows.Err(), "count the last day's mail")
}
