package store

import (
	"context"
	"fmt"
	"strings"
)

// Actions of the audit log about a send rather than a member: who paused,
// resumed, cancelled or scheduled it, from whichever edge.
const (
	ActionSendPaused        = "send paused"
	ActionSendResumed       = "send resumed"
	ActionSendCancelled     = "send cancelled"
	ActionSendScheduled     = "send scheduled"
	ActionScheduleCancelled = "schedule cancelled"
)

// AuditSend records an owner's action on send (or schedule) id of list:
// the row names no member, the send in its reason, and who did it.
func (db *DB) AuditSend(ctx context.Context, list, action string, id int64, detail string, ev Evidence) error {
	if ev.Source == "" {
		ev.Source = SourceAdmin
	}
	what := "send"
	if action == ActionSendScheduled || action == ActionScheduleCancelled {
		what = "schedule"
	}
	parts := []string{fmt.Sprintf("%s #%d", what, id)}
	for _, p := range []string{detail, ev.Reason} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	reason := strings.Join(parts, "; ")
	_, err := db.sql.ExecContext(ctx, `INSERT INTO audit_log (at, list_name, address, action, source, reason, ip, user_agent, operator)
		VALUES (?, ?, '', ?, ?, ?, ?, ?, ?)`, db.now(), list, action, ev.Source, reason, ev.IP, ev.UserAgent, ev.Operator)
	return db.wrap(err, "audit "+action)
}
