package store

import (
	"context"

	"mailer/internal/address"
)

// RecordSendBounce ties a bounce report about l's member addr to sendID,
// the send whose message it returns, so that the send's circuit breaker
// and status count the bounces that arrive by mail after a relay took the
// message. The send id is the reporter's word (a Feedback-ID is quoted
// text), so only a member that send mailed is counted; a second report
// about the same message counts once, as hard if either was. It reports
// whether the bounce was counted.
func (db *DB) RecordSendBounce(ctx context.Context, l *List, sendID int64, addr string, hard bool) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `INSERT INTO send_bounces (send_id, subscriber_id, hard, received_at)
		SELECT DISTINCT d.send_id, d.subscriber_id, CAST(? AS BOOLEAN), ? FROM deliveries d
			JOIN sends s ON s.id = d.send_id JOIN subscribers sub ON sub.id = d.subscriber_id
		WHERE d.send_id = ? AND s.list_id = ? AND sub.address_key = ?
		ON CONFLICT (send_id, subscriber_id) DO UPDATE SET hard = excluded.hard WHERE excluded.hard = ?`,
		hard, db.now(), sendID, l.ID, address.Key(addr), true)
	if err != nil {
		return false, db.wrap(err, "count the bounce against its send")
	}
	n, err := res.RowsAffected()
	return n > 0, db.wrap(err, "count the bounce against its send")
}

// SendHardBounces counts the hard bounce reports tied to one send.
func (db *DB) SendHardBounces(ctx context.Context, sendID int64) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM send_bounces WHERE send_id = ? AND hard = ?`, sendID, true).Scan(&n)
	return n, db.wrap(err, "count the send's bounce reports")
}
