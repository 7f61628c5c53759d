package api

import (
	"strconv"

	"mailer/internal/bounces"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// Bounces is a page of a list's bounce records, as `bounces ls --json`
// prints them, highest score first.
type Bounces struct {
	Items      []store.BounceInfo `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// Audit is a page of the audit log, as `audit --json` prints it, oldest
// first.
type Audit struct {
	Items      []store.AuditEntry `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

func listBounces(c *call) (any, error) {
	rows, err := bounces.Listing(c.ctx, c.h.o.DB, c.list)
	if err != nil {
		return nil, err
	}
	items, next, err := page(c, rows)
	return Bounces{Items: items, NextCursor: next}, err
}

// listComplaints is a list's members who reported its mail as spam:
// status complained, by cursor like every member page.
func listComplaints(c *call) (any, error) {
	return memberPage(c, string(store.Complained))
}

// listAudit is GET /api/v1/audit: ?list= and ?address= as `audit --list
// --address`; a caller who may not see every list sees their lists' rows.
func listAudit(c *call) (any, error) {
	var l *store.List
	if name := c.r.URL.Query().Get("list"); name != "" {
		var err error
		if l, err = c.visibleList(name); err != nil {
			return nil, err
		}
	}
	all, err := c.h.o.DB.AuditLog(c.ctx, l, c.r.URL.Query().Get("address"))
	if err != nil {
		return nil, err
	}
	seen := make([]store.AuditEntry, 0, len(all))
	for _, e := range all {
		if c.who.CanSee(e.List) {
			seen = append(seen, e)
		}
	}
	items, next, err := page(c, seen)
	return Audit{Items: items, NextCursor: next}, err
}

// page cuts a page out of rows read whole: the cursor is the position the
// last page ended at. The audit log only grows at its end, so its pages
// hold still; bounce records move as scores change, and a page of them is
// a snapshot.
func page[T any](c *call, rows []T) ([]T, string, error) {
	limit, err := intQuery(c, "limit", 100, 1, 1000)
	if err != nil {
		return nil, "", err
	}
	from := 0
	if raw := c.r.URL.Query().Get("cursor"); raw != "" {
		if from, err = strconv.Atoi(raw); err != nil || from < 0 {
			return nil, "", fault.Errorf(fault.Invalid, "cursor=%q is not a cursor this API gave", raw)
		}
	}
	from = min(from, len(rows))
	to := min(from+limit, len(rows))
	next := ""
	if to < len(rows) {
		next = strconv.Itoa(to)
	}
	return append([]T{}, rows[from:to]...), next, nil
}
