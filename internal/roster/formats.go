package roster

import (
	"fmt"
	"path/filepath"
	"strings"

	"mailer/internal/store"
)

// A format is another tool's member export, known by its header. Each
// maps the tool's own status words to mailer's: an import never makes
// anyone mailable whom the tool would not mail, so a word not in the map
// is an error naming the line, never "active".
type format struct {
	name string
	// is reports whether a header (keys as norm gives them) is this tool's.
	is func(h map[string]int) bool
	// words are the tool's status words (lower case, '_' and '-' as spaces).
	words map[string]store.Status
	// flags are yes/no columns that stop mail: email_disabled true,
	// subscribed_to_emails false.
	flags []flag
	// statusColumn is a status column of this tool's own name.
	statusColumn string
}

type flag struct {
	column string
	stopOn bool // the value that stops mail
	status store.Status
}

// genericWords are the status words of mailer itself and of any file
// whose tool is not recognised by its header: the union of the words
// documented by the tools below that mean the same everywhere.
var genericWords = map[string]store.Status{
	"": store.Active, "active": store.Active, "enabled": store.Active, "subscribed": store.Active,
	"confirmed": store.Active, "member": store.Active, "regular": store.Active,
	"unsubscribed": store.Unsubscribed, "unsubscribe": store.Unsubscribed, "blocklisted": store.Unsubscribed,
	"blacklisted": store.Unsubscribed, "opted out": store.Unsubscribed, "removed": store.Unsubscribed,
	"cancelled": store.Unsubscribed, "canceled": store.Unsubscribed, "archived": store.Unsubscribed,
	"bounced": store.Bounced, "bouncing": store.Bounced, "by bounces": store.Bounced, "bounce": store.Bounced,
	"cleaned": store.Bounced, "undeliverable": store.Bounced, "invalid": store.Bounced, "hard bounced": store.Bounced,
	"complained": store.Complained, "complaint": store.Complained, "marked as spam": store.Complained,
	"spam": store.Complained, "junk": store.Complained, "spam complaint": store.Complained,
	"disabled": store.Disabled, "nomail": store.Disabled, "held": store.Disabled, "suspended": store.Disabled,
	"by moderator": store.Disabled, "by user": store.Disabled, "by owner": store.Disabled,
	"pending": store.Pending, "unconfirmed": store.Pending, "unconfirmed email": store.Pending,
	"unactivated": store.Pending, "nonsubscribed": store.Pending, "transactional": store.Pending,
}

// with is genericWords with some words changed, for a tool whose words
// mean something of its own.
func with(changes map[string]store.Status) map[string]store.Status {
	m := make(map[string]store.Status, len(genericWords)+len(changes))
	for k, v := range genericWords {
		m[k] = v
	}
	for k, v := range changes {
		m[k] = v
	}
	return m
}

func has(h map[string]int, names ...string) bool {
	for _, n := range names {
		if _, ok := h[n]; ok {
			return true
		}
	}
	return false
}

// formats are tried in order; the first whose header matches wins.
var formats = []format{
	{name: "listmonk", is: func(h map[string]int) bool { i, ok := h["uuid"]; return ok && i == 0 },
		// listmonk's subscriber status (models/models.go): enabled,
		// disabled, blocklisted.
		words: genericWords},
	{name: "mailchimp", is: func(h map[string]int) bool { return has(h, "member rating", "optin time", "leid", "euid") },
		// Mailchimp's audience export: one file per status; the
		// unsubscribed and cleaned files add UNSUB_* and CLEAN_* columns
		// (markNames).
		words: genericWords},
	{name: "ghost", is: func(h map[string]int) bool { return has(h, "subscribed to emails") },
		// Ghost's members CSV: subscribed_to_emails false is a member who
		// gets no newsletter; email_disabled true one whose mail bounced or
		// who reported it as spam.
		words: genericWords, flags: []flag{{"subscribed to emails", false, store.Unsubscribed}, {"email disabled", true, store.Bounced}}},
	{name: "substack", is: func(h map[string]int) bool { return has(h, "email disabled") },
		// Substack's email list: email_disabled true gets no email.
		words: genericWords, flags: []flag{{"email disabled", true, store.Unsubscribed}}},
	{name: "buttondown", is: func(h map[string]int) bool { return has(h, "subscriber type") },
		// docs.buttondown.com/api-subscribers-type: the paid states still
		// get the newsletter; unactivated never confirmed; the others get
		// nothing; churned: "previously premium subscribers, but have
		// since churned but are not unsubscribed" (buttondown/docs,
		// lib/openapi/enums.json).
		words: with(map[string]store.Status{"premium": store.Active, "trialed": store.Active, "gifted": store.Active,
			"churning": store.Active, "churned": store.Active, "past due": store.Active, "paused": store.Active,
			"unpaid": store.Active, "spammy": store.Disabled, "blocked": store.Disabled, "disposable": store.Disabled,
			"malformed": store.Bounced})},
	{name: "kit", is: func(h map[string]int) bool {
		return has(h, "state") && (has(h, "email address") || has(h, "email") && has(h, "first name"))
	},
		// Kit (ConvertKit) subscriber states: active (confirmed),
		// inactive (never confirmed), cancelled, bounced, complained;
		// cold is still subscribed. Its fields are email_address,
		// first_name and state (API v4); no Kit export is published, so
		// an "email" column with first_name and state is taken as Kit's
		// too: read as a plain CSV, its state column would be no status
		// and every cancelled or bounced row active.
		words: with(map[string]store.Status{"inactive": store.Pending, "cold": store.Active}), statusColumn: "state"},
	{name: "beehiiv", is: func(h map[string]int) bool {
		return has(h, "status") && has(h, "utm channel", "referring site", "subscription tier", "subscription premium tier names",
			"free tier", "premium tier")
	},
		// beehiiv: the subscription's fields in its API
		// (developers.beehiiv.com), or the members export's Free Tier and
		// Premium Tier columns (as Ghost's migrate, mg-beehiiv-members,
		// reads them). Status: active, inactive (unsubscribed), pending
		// and validating (not confirmed), invalid, needs_attention; a
		// filled unsubscribed_at is unsubscribed whatever the status
		// (markNames).
		words: with(map[string]store.Status{"inactive": store.Unsubscribed, "validating": store.Pending,
			"needs attention": store.Disabled})},
	{name: "mailerlite", is: func(h map[string]int) bool { return has(h, "subscriber") && has(h, "status") },
		// MailerLite subscriber status: active, unsubscribed, unconfirmed,
		// bounced, junk (marked as spam).
		words: genericWords},
	{name: "sendy", is: func(h map[string]int) bool { return has(h, "last activity") && has(h, "status") },
		// Sendy (includes/subscribers/export-csv.php, the versions with
		// a GDPR column): the header "Name","Email","Joined",
		// "Last activity",...,"Status","GDPR"; Status is Active, or the
		// first of Bounced, Marked as spam, Unsubscribed, Unconfirmed
		// that holds. Older Sendy wrote
		// no header and no status: "Name","Email" lines, the segment only
		// in the file's name (-active, -unsubscribed, -bounced,
		// -marked-as-spam, -unconfirmed, or -all for everyone).
		words: genericWords},
}

// statusOf maps a status word of the named column with words.
func statusOf(words map[string]store.Status, s, column string) (store.Status, error) {
	if st, ok := words[norm(s)]; ok {
		return st, nil
	}
	return "", fmt.Errorf("unknown status %q in column %q: mailer knows active, unsubscribed, bounced, complained, disabled "+
		"and pending (and the words of Mailchimp, Substack, Buttondown, Ghost, Kit, beehiiv, Sendy, MailerLite, Mailman and "+
		"listmonk); if all of the file has one status, import it with --status (not active), and if the column holds "+
		"no status, rename it", s, column)
}

// yesNo reads a boolean column as the tools write it.
func yesNo(s string) (bool, error) {
	switch norm(s) {
	case "true", "yes", "1", "t", "y":
		return true, nil
	case "false", "no", "0", "f", "n", "", "null":
		// "null" is how JavaScript and SQL exports write a missing value
		// (Ghost's own import tests have it): the column's empty value,
		// which each flag reads as its tool does (Ghost: not subscribed;
		// Substack: email not disabled).
		return false, nil
	}
	return false, fmt.Errorf("%q is neither true nor false", s)
}

// nameStatus is what a file's name says of everyone in it: Mailchimp
// writes subscribed_, unsubscribed_ and cleaned_members_export_*.csv,
// MailerLite and Sendy name exports by the segment. "" when it says none.
func nameStatus(name string) store.Status {
	base := strings.ToLower(filepath.Base(name))
	for _, w := range []struct {
		word string
		st   store.Status
	}{
		{"unsubscribe", store.Unsubscribed}, {"cleaned", store.Bounced}, {"bounced", store.Bounced},
		{"complain", store.Complained}, {"spam", store.Complained}, {"junk", store.Complained},
		{"unconfirmed", store.Pending}, {"nonsubscribed", store.Pending},
	} {
		if strings.Contains(base, w.word) {
			return w.st
		}
	}
	return ""
}

// rank orders the statuses from mailable to most firmly stopped.
var rank = map[store.Status]int{"": 0, store.Active: 0, store.Pending: 1, store.Disabled: 2, store.Unsubscribed: 3,
	store.Bounced: 4, store.Complained: 5}

// stricter is the one of a and b further from being mailed: two sources
// of a status (a column, the file's name, --status) never add up to more
// mail than either alone.
func stricter(a, b store.Status) store.Status {
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// norm is a header name or status word compared: lower case, no spaces
// around, '_' and '-' as spaces ("OPTIN_TIME", "optin time").
func norm(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' || r == ' ' }), " ")
}
