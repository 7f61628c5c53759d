package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
)

// Account is an owner's console login. PasswordHash is the PHC string of
// internal/auth, never the password.
type Account struct {
	Email        string
	PasswordHash string
	Admin        bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLogin    *time.Time
}

// Audit actions of logins and tokens. Their audit rows name no list.
const (
	ActionPasswordSet  = "owner-password-set"
	ActionOwnerRemoved = "owner-removed"
	ActionTokenCreated = "token-created"
	ActionTokenRevoked = "token-revoked"
)

// accountKey is how an account's address is kept and compared: the whole
// address lower-cased, as address.Key.
func accountKey(email string) string { return address.Key(email) }

// secretHash is the hex SHA-256 kept in place of a session id or a
// token's secret. Both are 32 random bytes, so a fast hash is enough:
// there is nothing to guess that a slow one would protect.
func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

const accountColumns = `email, password_hash, admin, created_at, updated_at, last_login_at`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var created, updated string
	var last sql.NullString
	err := row.Scan(&a.Email, &a.PasswordHash, &a.Admin, &created, &updated, &last)
	a.CreatedAt, a.UpdatedAt, a.LastLogin = parseTime(created), parseTime(updated), parseNullTime(last)
	return a, err
}

// Account returns the login of email; NotFound when it has none.
func (db *DB) Account(ctx context.Context, email string) (Account, error) {
	a, err := scanAccount(db.sql.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE email = ?`, accountKey(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fault.Errorf(fault.NotFound, "%s has no console login", accountKey(email))
	}
	return a, db.wrap(err, "read the login of "+accountKey(email))
}

// Accounts returns every login, by address.
func (db *DB) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY email`)
	if err != nil {
		return nil, db.wrap(err, "read the logins")
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, db.wrap(err, "read the logins")
		}
		out = append(out, a)
	}
	return out, db.wrap(rows.Err(), "read the logins")
}

// SetPassword creates email's login or changes its password hash, and
// sets its admin flag when admin is not nil (a new login is no admin
// unless told). The change is audited with ev; the hash is not.
func (db *DB) SetPassword(ctx context.Context, email, hash string, admin *bool, ev Evidence) error {
	key := accountKey(email)
	now := db.now()
	return db.inTx(ctx, "set the password of "+key, func(tx *txn) error {
		isAdmin := admin != nil && *admin
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (email, password_hash, admin, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
			ON CONFLICT (email) DO UPDATE SET password_hash = ?2, updated_at = ?4, admin = CASE WHEN ?5 THEN ?3 ELSE accounts.admin END`,
			key, hash, isAdmin, now, admin != nil)
		if err != nil {
			return err
		}
		reason := ""
		if admin != nil {
			reason = map[bool]string{true: "site admin", false: "not a site admin"}[*admin]
		}
		return auditAccount(ctx, tx, now, key, ActionPasswordSet, reason, ev)
	})
}

// RehashPassword replaces a login's hash with one of the same password
// (a bcrypt hash upgraded to argon2id at login); nothing to audit.
func (db *DB) RehashPassword(ctx context.Context, email, hash string) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE accounts SET password_hash = ? WHERE email = ?`, hash, accountKey(email))
	return db.wrap(err, "rehash the password of "+accountKey(email))
}

// RecordLogin notes a successful login's time.
func (db *DB) RecordLogin(ctx context.Context, email string) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE accounts SET last_login_at = ? WHERE email = ?`, db.now(), accountKey(email))
	return db.wrap(err, "record the login of "+accountKey(email))
}

// DeleteAccount removes email's login and with it every session of it;
// NotFound when it has none.
func (db *DB) DeleteAccount(ctx context.Context, email string, ev Evidence) error {
	key := accountKey(email)
	now := db.now()
	return db.inTx(ctx, "remove the login of "+key, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE email = ?`, key); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE email = ?`, key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, fault.Errorf(fault.NotFound, "%s has no console login", key))
		}
		return auditAccount(ctx, tx, now, key, ActionOwnerRemoved, "", ev)
	})
}

// cmpErr is err, or else fallback.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// ListsOwnedBy returns the names of the lists whose owners include email.
// Owners are compared as List.IsOwner compares them (address.Key, in Go:
// SQLite's lower() folds ASCII only).
func (db *DB) ListsOwnedBy(ctx context.Context, email string) ([]string, error) {
	key := accountKey(email)
	rows, err := db.sql.QueryContext(ctx, `SELECT l.name, o.address FROM lists l JOIN list_owners o ON o.list_id = l.id ORDER BY l.name`)
	if err != nil {
		return nil, db.wrap(err, "read the lists of "+key)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var name, owner string
		if err := rows.Scan(&name, &owner); err != nil {
			return nil, db.wrap(err, "read the lists of "+key)
		}
		if address.Key(owner) == key && (len(out) == 0 || out[len(out)-1] != name) {
			out = append(out, name)
		}
	}
	return out, db.wrap(rows.Err(), "read the lists of "+key)
}

// auditAccount records a change of a login or a token. It names no list;
// address is the owner's ("" for a token, named in reason).
func auditAccount(ctx context.Context, tx *txn, now, addr, action, reason string, ev Evidence) error {
	if ev.Source == "" {
		ev.Source = SourceAdmin
	}
	if ev.Reason != "" {
		reason = joinReason(reason, ev.Reason)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, list_name, address, action, source, reason, ip, user_agent, operator)
		VALUES (?, '', ?, ?, ?, ?, ?, ?, ?)`, now, addr, action, ev.Source, reason, ev.IP, ev.UserAgent, ev.Operator)
	return err
}

func joinReason(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}
