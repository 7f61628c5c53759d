package store

import (
	"context"
	"database/sql"
	"errors"

	"mailer/internal/fault"
)

// ComplaintRecord is one spam complaint as kept: the evidence behind a
// member's status complained.
type ComplaintRecord struct {
	Address      string // the member, as stored
	SubscriberID int64
	SendID       int64 // 0: not known
	FeedbackType string
	Provider     string
	MessageID    string // the report's
	Raw          []byte // the report; cut to MaxBounceBytes
}

// RecordComplaint keeps a complaint about l's member, inside the
// transaction that stops the member, so that the count and the status
// never disagree.
func (tx *Tx) RecordComplaint(ctx context.Context, l *List, c ComplaintRecord) error {
	raw := c.Raw
	if len(raw) > MaxBounceBytes {
		raw = raw[:MaxBounceBytes]
	}
	if raw == nil {
		raw = []byte{}
	}
	var send any
	if c.SendID > 0 {
		// A send id from a report is the reader's word (Feedback-ID): one
		// that is not a send of this list is not recorded as one.
		var n int
		if err := tx.t.QueryRowContext(ctx, `SELECT count(*) FROM sends WHERE id = ? AND list_id = ?`, c.SendID, l.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			send = c.SendID
		}
	}
	_, err := tx.t.ExecContext(ctx, `INSERT INTO complaints (list_id, subscriber_id, address, send_id, feedback_type, provider, message_id, received_at, raw)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, l.ID, c.SubscriberID, c.Address, send, c.FeedbackType, c.Provider, c.MessageID, tx.db.now(), raw)
	return err
}

// Delivery names one message mailer sent: whom, in which send.
type Delivery struct {
	SendID       int64
	ListID       int64
	SubscriberID int64
	Address      string
}

// DeliveryByMessageID finds the delivery whose Message-ID (without angle
// brackets) is id: a report quoting our original names its send and its
// reader by it. Unknown ids are a fault.NotFound.
func (db *DB) DeliveryByMessageID(ctx context.Context, id string) (Delivery, error) {
	var d Delivery
	err := db.sql.QueryRowContext(ctx, `SELECT d.send_id, s.list_id, d.subscriber_id, d.address FROM deliveries d
		JOIN sends s ON s.id = d.send_id WHERE d.message_id = ?`, id).Scan(&d.SendID, &d.ListID, &d.SubscriberID, &d.Address)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fault.Errorf(fault.NotFound, "no message of ours has the Message-ID <%s>", id)
	}
	return d, db.wrap(err, "find delivery")
}

// ComplaintCounts counts complaints per list name (for `bounces ls`).
func (db *DB) ComplaintCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT l.name, count(*) FROM complaints c JOIN lists l ON l.id = c.list_id GROUP BY l.name`)
	if err != nil {
		return nil, db.wrap(err, "count complaints")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, db.wrap(err, "count complaints")
		}
		out[name] = n
	}
	return out, db.wrap(rows.Err(), "count complaints")
}

// SendComplaints counts the complaints about one send.
func (db *DB) SendComplaints(ctx context.Context, sendID int64) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM complaints WHERE send_id = ?`, sendID).Scan(&n)
	return n, db.wrap(err, "count complaints")
}
