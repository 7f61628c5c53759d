package bounce

import (
	"mime"
	"net/mail"
	"strings"
)

// Words that make a failure soft: the address exists but cannot take mail
// now. They win over a 5.x.x status, which many servers give a full
// mailbox.
var softWords = []string{"mailbox full", "mailbox is full", "quota", "over quota", "insufficient storage",
	"storage limit", "space not enough", "mailbox size limit", "exceeded storage", "too many messages", "temporar"}

// failureKind: 4.x.x and full mailboxes are soft; 5.x.x is hard; without a
// status, words decide, else def.
func failureKind(status, diag string, def Kind) Kind {
	d := asciiLower(diag)
	for _, w := range softWords {
		if strings.Contains(d, w) {
			return Soft
		}
	}
	switch {
	case strings.HasPrefix(status, "5.2.2"):
		return Soft
	case strings.HasPrefix(status, "5"):
		return Hard
	case strings.HasPrefix(status, "4"):
		return Soft
	}
	return def
}

// isAutoReply: RFC 3834's Auto-Submitted: auto-replied and the headers
// and subjects of vacation programs. A robot's delivery report is not one.
func isAutoReply(m *message) bool {
	h := m.header
	if isRobotSender(h) {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(h.Get("Auto-Submitted")), "auto-replied") ||
		h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" || h.Get("X-Autoresponder") != "" ||
		strings.EqualFold(strings.TrimSpace(h.Get("Precedence")), "auto_reply") {
		return true
	}
	subj := asciiLower(decodeHeader(h.Get("Subject")))
	for _, w := range []string{"out of office", "out of the office", "automatic reply", "auto-reply", "autoreply",
		"auto reply", "vacation", "away from my mail", "abwesenheit", "absence", "autosvar", "réponse automatique"} {
		if strings.Contains(subj, w) {
			return true
		}
	}
	return false
}

// isRobotSender: the report comes from a mail system, not a person.
func isRobotSender(h mail.Header) bool {
	from := asciiLower(h.Get("From") + " " + h.Get("Return-Path") + " " + h.Get("Sender"))
	for _, w := range []string{"mailer-daemon", "mailer_daemon", "maildaemon", "mail-daemon", "postmaster", "mail delivery",
		"mdaemon", "<>", "post_master", "mail administrator", "mail system", "delivery subsystem", "mailadmin", "daemon@"} {
		if strings.Contains(from, w) {
			return true
		}
	}
	return false
}

// noReplySender: a From of no-reply@ or noreply@.
func noReplySender(h mail.Header) bool {
	from := asciiLower(h.Get("From"))
	return strings.Contains(from, "no-reply@") || strings.Contains(from, "noreply@")
}

func decodeHeader(s string) string {
	d, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// asciiLower lower-cases ASCII letters only, so that byte offsets in the
// result are offsets in s: text in legacy charsets (koi8-r, Latin-1) is
// not valid UTF-8, and strings.ToLower would change its length.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
