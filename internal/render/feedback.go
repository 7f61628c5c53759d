package render

import (
	"fmt"
	"strings"
)

// MemberHeader names the header that carries the reader's membership
// token in every issue: a complaint (ARF report) quoting the original
// names the member by it even when the provider redacts the address and
// drops List-Unsubscribe. It is the signed token of the unsubscribe link,
// so it tells a reader of the header nothing the link does not.
const MemberHeader = "X-Mailer-Member"

// SenderID is the right-most field of every Feedback-ID: Gmail's
// mandatory, stable sender identifier (5 to 15 characters).
const SenderID = "mailer"

// Mail types in the Feedback-ID: Gmail aggregates complaints per field.
const (
	MailIssue = "issue"
)

// FeedbackID is the value of Gmail's Feedback-ID header (Gmail's Feedback
// Loop: "a:b:c:SenderId", up to three identifiers and the sender's; none
// unique to a message): the send ("s" and its id, empty when there is
// none), the list (empty for mail about no list), the mail type, and
// SenderID. Colons and spaces in the values are dropped, as they would
// split or break the fields.
func FeedbackID(sendID int64, list, mailType string) string {
	clean := func(v string) string {
		return strings.Map(func(r rune) rune {
			if r == ':' || r <= ' ' || r >= 0x7f {
				return -1
			}
			return r
		}, v)
	}
	send := ""
	if sendID > 0 {
		send = fmt.Sprintf("s%d", sendID)
	}
	return send + ":" + clean(list) + ":" + clean(mailType) + ":" + SenderID
}

// ParseFeedbackID reads the send id back from a Feedback-ID of ours; 0
// when it names none or is not ours.
func ParseFeedbackID(v string) int64 {
	f := strings.Split(strings.TrimSpace(v), ":")
	if len(f) != 4 || f[3] != SenderID || !strings.HasPrefix(f[0], "s") {
		return 0
	}
	var id int64
	if _, err := fmt.Sscanf(f[0], "s%d", &id); err != nil || fmt.Sprintf("s%d", id) != f[0] || id <= 0 {
		return 0
	}
	return id
}
