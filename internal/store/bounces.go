package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mailer/internal/address"
)

// BouncePolicy is how bounces add up.
type BouncePolicy struct {
	Threshold float64       // a score this high stops mail
	Window    time.Duration // bounces older than this are forgotten
}

// BounceUpdate is what RecordBounce did.
type BounceUpdate struct {
	Member   bool    // the address is a member of the list
	Counted  bool    // false: a bounce was already counted today
	Score    float64 // the score now
	Disabled bool    // this bounce stopped mail to the member
}

// RecordBounce adds a bounce to a membership's score: hard counts 1, soft
// 0.5, at most one bounce a day; a score older than the window starts
// over. Reaching the threshold sets an active member to bounced, audited.
func (db *DB) RecordBounce(ctx context.Context, l *List, addr string, hard bool, reason string, p BouncePolicy) (BounceUpdate, error) {
	var up BounceUpdate
	err := db.inTx(ctx, "record bounce", func(tx *txn) error {
		var subID int64
		var stored string
		var status Status
		var score float64
		var first, last sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT s.id, s.address, m.status, m.bounce_score, m.bounce_first_at, m.bounce_last_at
			FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id WHERE m.list_id = ? AND s.address_key = ?`,
			l.ID, address.Key(addr)).Scan(&subID, &stored, &status, &score, &first, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		up.Member = true
		now := db.Now().UTC()
		if last.Valid && parseTime(last.String).UTC().Format(time.DateOnly) == now.Format(time.DateOnly) {
			up.Score = score
			_, err := tx.ExecContext(ctx, `UPDATE memberships SET bounce_last_reason = ? WHERE list_id = ? AND subscriber_id = ?`, reason, l.ID, subID)
			return err
		}
		firstAt := now
		if first.Valid && last.Valid && now.Sub(parseTime(last.String)) <= p.Window {
			firstAt = parseTime(first.String)
		} else {
			score = 0
		}
		add := 0.5
		if hard {
			add = 1
		}
		score += add
		up.Counted, up.Score = true, score
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET bounce_score = ?, bounce_first_at = ?, bounce_last_at = ?, bounce_last_reason = ?
			WHERE list_id = ? AND subscriber_id = ?`, score, formatTime(firstAt), formatTime(now), reason, l.ID, subID); err != nil {
			return err
		}
		if score < p.Threshold || status != Active {
			return nil
		}
		w := newMemberWriter(ctx, tx, db.now())
		defer w.close()
		_, err = w.move(l, subID, stored, status, Bounced, Evidence{Source: SourceAdmin,
			Reason: fmt.Sprintf("bounce score %.1f reached %.1f; last: %s", score, p.Threshold, reason), Operator: "bounce processing"})
		up.Disabled = err == nil
		return err
	})
	return up, err
}

// ResetBounces clears a membership's bounce score (after a reactivation).
func (db *DB) ResetBounces(ctx context.Context, l *List, addr string) error {
	return db.Update(ctx, "reset bounces", func(tx *Tx) error { return tx.ResetBounces(ctx, l, addr) })
}

// BounceInfo is a membership's bounce record.
type BounceInfo struct {
	List       string     `json:"list"`
	Address    string     `json:"address"`
	Status     Status     `json:"status"`
	Score      float64    `json:"score"`
	FirstAt    *time.Time `json:"first_at,omitempty"`
	LastAt     *time.Time `json:"last_at,omitempty"`
	LastReason string     `json:"last_reason,omitempty"`
}

// Bounces lists memberships with a bounce score or status bounced, for
// one list (nil: all), highest score first.
func (db *DB) Bounces(ctx context.Context, l *List) ([]BounceInfo, error) {
	var list int64
	if l != nil {
		list = l.ID
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT l.name, s.address, m.status, m.bounce_score, m.bounce_first_at, m.bounce_last_at, m.bounce_last_reason
		FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id JOIN lists l ON l.id = m.list_id
		WHERE (?1 = 0 OR l.id = ?1) AND (m.bounce_score > 0 OR m.status = 'bounced')
		ORDER BY m.bounce_score DESC, s.address`, list)
	if err != nil {
		return nil, db.wrap(err, "read bounces")
	}
	defer rows.Close()
	out := []BounceInfo{}
	for rows.Next() {
		var b BounceInfo
		var first, last sql.NullString
		if err := rows.Scan(&b.List, &b.Address, &b.Status, &b.Score, &first, &last, &b.LastReason); err != nil {
			return nil, db.wrap(err, "read bounces")
		}
		b.FirstAt, b.LastAt = parseNullTime(first), parseNullTime(last)
		out = append(out, b)
	}
	return out, db.wrap(rows.Err(), "read bounces")
}
