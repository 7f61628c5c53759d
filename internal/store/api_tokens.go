package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"mailer/internal/fault"
)

// APIToken is an API bearer token as listed: never its secret, which is
// kept only as its SHA-256.
type APIToken struct {
	Name      string     `json:"name"`
	Scope     string     `json:"scope"`          // "read" or "write"
	List      string     `json:"list,omitempty"` // "" for every list
	CreatedAt time.Time  `json:"created_at"`
	LastUsed  *time.Time `json:"last_used,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

const tokenColumns = `name, scope, list_name, created_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var created string
	var used, revoked sql.NullString
	err := row.Scan(&t.Name, &t.Scope, &t.List, &created, &used, &revoked)
	t.CreatedAt, t.LastUsed, t.RevokedAt = parseTime(created), parseNullTime(used), parseNullTime(revoked)
	return t, err
}

// CreateAPIToken keeps a new token under the hash of secret and audits it
// with ev; Conflict when the name is taken, revoked or not.
func (db *DB) CreateAPIToken(ctx context.Context, t APIToken, secret string, ev Evidence) error {
	now := db.now()
	return db.inTx(ctx, "create token "+t.Name, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE name = ?`, t.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fault.Errorf(fault.Conflict, "a token named %s exists already (revoked tokens keep their names): choose another name", t.Name)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (name, secret_hash, scope, list_name, created_at) VALUES (?, ?, ?, ?, ?)`,
			t.Name, secretHash(secret), t.Scope, t.List, now); err != nil {
			return err
		}
		return auditAccount(ctx, tx, now, "", ActionTokenCreated, tokenReason(t), ev)
	})
}

func tokenReason(t APIToken) string {
	r := "token " + t.Name + ", scope " + t.Scope
	if t.List != "" {
		r += ", list " + t.List
	}
	return r
}

// APITokenBySecret returns the token whose secret this is, revoked or
// not; NotFound (without the secret in its text) when none is.
func (db *DB) APITokenBySecret(ctx context.Context, secret string) (APIToken, error) {
	t, err := scanToken(db.sql.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE secret_hash = ?`, secretHash(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fault.Errorf(fault.NotFound, "no such token")
	}
	return t, db.wrap(err, "read a token")
}

// APITokens returns every token, by name.
func (db *DB) APITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, db.wrap(err, "read the tokens")
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, db.wrap(err, "read the tokens")
		}
		out = append(out, t)
	}
	return out, db.wrap(rows.Err(), "read the tokens")
}

// TouchAPIToken notes that a token was used at the time given.
func (db *DB) TouchAPIToken(ctx context.Context, name string, at time.Time) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE name = ?`, formatTime(at), name)
	return db.wrap(err, "note the use of token "+name)
}

// RevokeAPIToken ends a token for good and audits it with ev; NotFound
// for an unknown name, Conflict for one revoked already.
func (db *DB) RevokeAPIToken(ctx context.Context, name string, ev Evidence) error {
	now := db.now()
	return db.inTx(ctx, "revoke token "+name, func(tx *txn) error {
		t, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE name = ?`, name))
		if errors.Is(err, sql.ErrNoRows) {
			return fault.Errorf(fault.NotFound, "no token named %s", name)
		}
		if err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return fault.Errorf(fault.Conflict, "token %s was revoked already, at %s", name, t.RevokedAt.UTC().Format(time.RFC3339))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE name = ?`, now, name); err != nil {
			return err
		}
		return auditAccount(ctx, tx, now, "", ActionTokenRevoked, tokenReason(t), ev)
	})
}
