package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/listaddr"
)

// MaxListNameLen keeps LIST-unsubscribe+TOKEN@ within the 64-octet local part
// limit with room for a token.
const MaxListNameLen = 32

// reservedNames are addresses an MTA or mailer itself answers.
var reservedNames = []string{"majordomo", "postmaster", "mailer-daemon", "abuse", "root", "listmaster", "noreply", "complaints", "mailer"}

// NormalizeListName lower-cases name and checks that it can serve as the
// local part of the list's addresses.
func NormalizeListName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch {
	case n == "":
		return "", fault.Errorf(fault.Invalid, "list name is empty")
	case len(n) > MaxListNameLen:
		return "", fault.Errorf(fault.Invalid, "list name %q is longer than %d characters", name, MaxListNameLen)
	}
	for i, r := range n {
		ok := 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || (r == '-' || r == '.' || r == '_') && i > 0 && i < len(n)-1
		if !ok {
			return "", fault.Errorf(fault.Invalid,
				"list name %q: use lower-case letters, digits, and - . _ between them (it becomes part of mail addresses)", name)
		}
	}
	for _, s := range listaddr.ReservedSuffixes {
		if strings.HasSuffix(n, s) {
			return "", fault.Errorf(fault.Invalid, "list name %q ends in %q, which mailer uses for list command addresses", name, s)
		}
	}
	for _, r := range reservedNames {
		if n == r {
			return "", fault.Errorf(fault.Invalid, "list name %q is reserved", name)
		}
	}
	return n, nil
}

// ListSettings are the fields of a list an owner sets. In an update, nil
// fields are left as they are.
type ListSettings struct {
	Title       *string
	Description *string
	From        *string // "Name <addr>" or a bare address
	Policy      *Policy
	Owners      *[]string
	// SubjectPrefix goes before every issue's Subject, e.g. "[bpf-updates] ".
	SubjectPrefix *string
	// Welcome: new members get a welcome mail, and those who leave by mail
	// command a goodbye.
	Welcome *bool
	// TemplatesDir is the list's own template directory, checked by the
	// caller ("" = the global templates).
	TemplatesDir *string
}

// CreateList creates a list. Title defaults to the name.
func (db *DB) CreateList(ctx context.Context, name string, set ListSettings) (*List, error) {
	n, err := NormalizeListName(name)
	if err != nil {
		return nil, err
	}
	l := &List{Name: n, Title: n, Policy: PolicyConfirm, Welcome: true}
	if err := applySettings(l, set); err != nil {
		return nil, err
	}
	now := db.now()
	err = db.inTx(ctx, "create list "+n, func(tx *txn) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO lists (name, title, description, from_address, from_name, policy, subject_prefix, welcome, templates_dir, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id`,
			l.Name, l.Title, l.Description, l.FromAddress, l.FromName, l.Policy, l.SubjectPrefix, l.Welcome, l.TemplatesDir, now, now).Scan(&l.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.Errorf(fault.Conflict, "list %q already exists", n)
		}
		if err != nil {
			return err
		}
		return setOwners(ctx, tx, l.ID, l.Owners)
	})
	if err != nil {
		return nil, err
	}
	return db.GetList(ctx, n)
}

// UpdateList changes the settings given in set.
func (db *DB) UpdateList(ctx context.Context, name string, set ListSettings) (*List, error) {
	l, err := db.GetList(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := applySettings(l, set); err != nil {
		return nil, err
	}
	err = db.inTx(ctx, "update list "+l.Name, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `UPDATE lists SET title = ?, description = ?, from_address = ?, from_name = ?, policy = ?, subject_prefix = ?,
			welcome = ?, templates_dir = ?, updated_at = ? WHERE id = ?`, l.Title, l.Description, l.FromAddress, l.FromName, l.Policy, l.SubjectPrefix, l.Welcome,
			l.TemplatesDir, db.now(), l.ID)
		if err != nil || set.Owners == nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM list_owners WHERE list_id = ?`, l.ID); err != nil {
			return err
		}
		return setOwners(ctx, tx, l.ID, l.Owners)
	})
	if err != nil {
		return nil, err
	}
	return db.GetList(ctx, l.Name)
}

func applySettings(l *List, set ListSettings) error {
	if set.TemplatesDir != nil {
		l.TemplatesDir = *set.TemplatesDir
	}
	if set.Welcome != nil {
		l.Welcome = *set.Welcome
	}
	if set.Title != nil {
		if err := checkText("title", *set.Title, 200); err != nil {
			return err
		}
		l.Title = strings.TrimSpace(*set.Title)
		if l.Title == "" {
			l.Title = l.Name
		}
	}
	if set.Description != nil {
		if err := checkText("description", *set.Description, 2000); err != nil {
			return err
		}
		l.Description = strings.TrimSpace(*set.Description)
	}
	if set.From != nil {
		if strings.TrimSpace(*set.From) == "" {
			l.FromAddress, l.FromName = "", ""
		} else {
			a, err := address.Parse(*set.From)
			if err != nil {
				return err
			}
			l.FromAddress, l.FromName = a.String(), a.Name
		}
	}
	if set.SubjectPrefix != nil {
		if err := checkText("subject prefix", *set.SubjectPrefix, 60); err != nil {
			return err
		}
		l.SubjectPrefix = *set.SubjectPrefix
	}
	if set.Policy != nil {
		p, err := ParsePolicy(string(*set.Policy))
		if err != nil {
			return err
		}
		l.Policy = p
	}
	if set.Owners != nil {
		l.Owners = nil
		for _, o := range *set.Owners {
			a, err := address.Parse(o)
			if err != nil {
				return err
			}
			l.Owners = append(l.Owners, a.String())
		}
	}
	return nil
}

// checkText refuses line breaks in values that end up in mail headers.
func checkText(what, s string, max int) error {
	if strings.ContainsAny(s, "\r\n\x00") {
		return fault.Errorf(fault.Invalid, "%s must be one line", what)
	}
	if len([]rune(s)) > max {
		return fault.Errorf(fault.Invalid, "%s is longer than %d characters", what, max)
	}
	return nil
}

func setOwners(ctx context.Context, tx *txn, listID int64, owners []string) error {
	for _, o := range owners {
		if _, err := tx.ExecContext(ctx, `INSERT INTO list_owners (list_id, address) VALUES (?, ?) ON CONFLICT DO NOTHING`, listID, o); err != nil {
			return err
		}
	}
	return nil
}

const listColumns = `id, name, title, description, from_address, from_name, policy, subject_prefix, welcome, templates_dir, created_at, updated_at`

func scanList(row interface{ Scan(...any) error }) (*List, error) {
	var l List
	var created, updated string
	if err := row.Scan(&l.ID, &l.Name, &l.Title, &l.Description, &l.FromAddress, &l.FromName, &l.Policy, &l.SubjectPrefix, &l.Welcome, &l.TemplatesDir, &created, &updated); err != nil {
		return nil, err
	}
	l.CreatedAt, l.UpdatedAt = parseTime(created), parseTime(updated)
	return &l, nil
}

// GetList returns the named list with its owners and member counts.
func (db *DB) GetList(ctx context.Context, name string) (*List, error) {
	l, err := scanList(db.sql.QueryRowContext(ctx, `SELECT `+listColumns+` FROM lists WHERE name = ?`, listKey(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.Errorf(fault.NotFound, "no list named %q", name)
	}
	if err != nil {
		return nil, db.wrap(err, "read list "+name)
	}
	if err := db.fillList(ctx, l); err != nil {
		return nil, err
	}
	return l, nil
}

// Lists returns every list, by name.
func (db *DB) Lists(ctx context.Context) ([]*List, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+listColumns+` FROM lists ORDER BY name`)
	if err != nil {
		return nil, db.wrap(err, "read lists")
	}
	defer rows.Close()
	var out []*List
	for rows.Next() {
		l, err := scanList(rows)
		if err != nil {
			return nil, db.wrap(err, "read lists")
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "read lists")
	}
	for _, l := range out {
		if err := db.fillList(ctx, l); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) fillList(ctx context.Context, l *List) error {
	l.Owners = []string{}
	rows, err := db.sql.QueryContext(ctx, `SELECT address FROM list_owners WHERE list_id = ? ORDER BY address`, l.ID)
	if err != nil {
		return db.wrap(err, "read owners of "+l.Name)
	}
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return db.wrap(err, "read owners of "+l.Name)
		}
		l.Owners = append(l.Owners, o)
	}
	rows.Close()
	l.Counts = map[Status]int{}
	for _, s := range Statuses {
		l.Counts[s] = 0
	}
	rows, err = db.sql.QueryContext(ctx, `SELECT status, count(*) FROM memberships WHERE list_id = ? GROUP BY status`, l.ID)
	if err != nil {
		return db.wrap(err, "count members of "+l.Name)
	}
	defer rows.Close()
	for rows.Next() {
		var s Status
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return db.wrap(err, "count members of "+l.Name)
		}
		l.Counts[s] = n
	}
	return db.wrap(rows.Err(), "count members of "+l.Name)
}

// IsOwner reports whether addr owns the list.
func (l *List) IsOwner(addr string) bool {
	for _, o := range l.Owners {
		if address.Key(o) == address.Key(addr) {
			return true
		}
	}
	return false
}

// DeleteList removes a list. A list with pending or active members is kept
// unless force is set; the audit log records each membership that went with
// it, so consent records survive the list.
// l must come from GetList, which counts its members.
func (db *DB) DeleteList(ctx context.Context, l *List, force bool, ev Evidence) error {
	if live := l.Counts[Active] + l.Counts[Pending]; live > 0 && !force {
		return fault.Errorf(fault.Conflict, "list %q has %d active or pending members; use --force to delete it anyway", l.Name, live)
	}
	return db.inTx(ctx, "delete list "+l.Name, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, list_name, address, action, old_status, new_status, source, reason, operator)
			SELECT ?, ?, s.address, 'list-deleted', m.status, '', ?, ?, ?
			FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id WHERE m.list_id = ?`,
			db.now(), l.Name, ev.Source, ev.Reason, ev.Operator, l.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM lists WHERE id = ?`, l.ID)
		return err
	})
}

// listKey is how a list name is compared: names are stored lower-case.
func listKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }
