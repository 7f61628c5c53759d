package store

import (
	"time"

	"mailer/internal/fault"
)

// Status is where a membership stands.
type Status string

// Membership statuses. Only active members receive issues.
const (
	Pending      Status = "pending"      // asked to join, not yet confirmed
	Active       Status = "active"       // receives mail
	Unsubscribed Status = "unsubscribed" // left, or was removed; kept as proof
	Bounced      Status = "bounced"      // too many bounces; no more mail
	Disabled     Status = "disabled"     // stopped by an owner
	// Complained: reported the list's mail as spam (an ARF report, RFC 5965,
	// or an ESP's complaint event). Never mailed again; only an owner may
	// add them back, and only with --force (Gmail's and Yahoo's 2024
	// bulk-sender rules: a complaint rate over 0.3% blocks the sender).
	Complained Status = "complained"
)

// Statuses lists every status in display order.
var Statuses = []Status{Active, Pending, Unsubscribed, Bounced, Disabled, Complained}

// ParseStatus validates a status given by a person.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fault.Errorf(fault.Invalid, "unknown status %q (want one of active, pending, unsubscribed, bounced, disabled, complained)", s)
}

// transitions says which status changes are allowed. The empty status is a
// person who was never a member. Moving to the same status is never an
// error: it is reported as "no change".
var transitions = map[Status][]Status{
	"":           {Pending, Active},
	Pending:      {Active, Unsubscribed, Complained},
	Active:       {Unsubscribed, Bounced, Disabled, Complained},
	Unsubscribed: {Pending, Active, Complained},
	Bounced:      {Active, Unsubscribed, Disabled, Complained},
	Disabled:     {Active, Unsubscribed, Complained},
	// A complaint outranks every later wish but an owner's: leaving again
	// or bouncing changes nothing, re-adding needs --force.
	Complained: {Active},
}

// CanMove reports whether a membership may go from one status to another.
func CanMove(from, to Status) bool {
	if from == to {
		return true
	}
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Source is how a membership change was asked for.
type Source string

// Sources of membership changes.
const (
	SourceEmail  Source = "email"
	SourceWeb    Source = "web"
	SourceImport Source = "import"
	SourceAdmin  Source = "admin"
)

// Policy decides how people join a list.
type Policy string

// Subscription policies.
const (
	PolicyConfirm Policy = "confirm" // double opt-in: the address must confirm by mail
	PolicyOpen    Policy = "open"    // joins at once when the requester is the address
	PolicyClosed  Policy = "closed"  // only owners add members
)

// ParsePolicy validates a policy given by a person.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case PolicyConfirm, PolicyOpen, PolicyClosed:
		return p, nil
	}
	return "", fault.Errorf(fault.Invalid, "unknown policy %q (want confirm, open or closed)", s)
}

// List is a mailing list.
type List struct {
	ID          int64  `json:"-"`
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	FromAddress string `json:"from_address"`
	FromName    string `json:"from_name"`
	Policy      Policy `json:"policy"`
	// SubjectPrefix goes before every issue's Subject.
	SubjectPrefix string `json:"subject_prefix"`
	Welcome       bool   `json:"welcome"` // welcome and goodbye mails
	// TemplatesDir is the list's own look ("" = the global templates).
	TemplatesDir string    `json:"templates_dir,omitempty"`
	Owners       []string  `json:"owners"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// Counts holds the number of memberships in each status.
	Counts map[Status]int `json:"counts"`
}

// Member is one person's membership of one list.
type Member struct {
	SubscriberID   int64      `json:"-"`
	Address        string     `json:"address"`
	Name           string     `json:"name"`
	Status         Status     `json:"status"`
	Source         Source     `json:"source"`
	Reason         string     `json:"reason,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	ConfirmedAt    *time.Time `json:"confirmed_at,omitempty"`
	UnsubscribedAt *time.Time `json:"unsubscribed_at,omitempty"`
}

// Evidence records who asked for a change and how, for the audit log.
// Bulk senders must be able to show when and how each person consented.
type Evidence struct {
	Source    Source
	Reason    string
	MessageID string // the mail that carried the command
	IP        string // the web request
	UserAgent string
	Operator  string // the person who ran an admin command
}

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	At        time.Time `json:"at"`
	List      string    `json:"list"`
	Address   string    `json:"address"`
	Action    string    `json:"action"`
	OldStatus Status    `json:"old_status,omitempty"`
	NewStatus Status    `json:"new_status,omitempty"`
	Source    Source    `json:"source"`
	Reason    string    `json:"reason,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	IP        string    `json:"ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	Operator  string    `json:"operator,omitempty"`
}
