package store

import (
	"context"
	"strings"
)

// MemberQuery selects a page of a list's members for the console and the
// API: by status, by a piece of the address or name, after a cursor.
type MemberQuery struct {
	Status Status // "" for every status
	Search string // a piece of the address or the name, any case; "" for all
	After  int64  // the subscriber id the previous page ended with
	Limit  int
}

// MemberPage returns up to q.Limit members in subscriber order, and
// whether more follow. The cursor is the subscriber id, which never
// changes and is served by the memberships' primary key, so a page is as
// cheap on a million members as on ten.
func (db *DB) MemberPage(ctx context.Context, l *List, q MemberQuery) ([]*Member, bool, error) {
	sqlq, args := memberQuery+` AND s.id > ?`, []any{l.ID, q.After}
	if q.Status != "" {
		sqlq += ` AND m.status = ?`
		args = append(args, q.Status)
	}
	if q.Search != "" {
		pat := "%" + likeEscaper.Replace(strings.ToLower(q.Search)) + "%"
		sqlq += ` AND (lower(s.address) LIKE ? ESCAPE '\' OR lower(s.name) LIKE ? ESCAPE '\')`
		args = append(args, pat, pat)
	}
	rows, err := db.sql.QueryContext(ctx, sqlq+` ORDER BY s.id LIMIT ?`, append(args, q.Limit+1)...)
	if err != nil {
		return nil, false, db.wrap(err, "read members")
	}
	defer rows.Close()
	out := []*Member{}
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, false, db.wrap(err, "read members")
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, false, db.wrap(err, "read members")
	}
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, nil
}

// likeEscaper makes a search string match itself in LIKE.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
