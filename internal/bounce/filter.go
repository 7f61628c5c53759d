package bounce

import (
	"net/mail"
	"regexp"
	"strings"
)

// addressRe finds addresses in prose. The domain must have a dot: text
// reports name "user@host" for local names that are nobody we mailed.
var addressRe = regexp.MustCompile(`[A-Za-z0-9._%+'=/!#$&*?^{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}`)

// Prefixes reports put before an address that are not part of it.
var addressPrefixes = []string{"smtp=", "smtp:", "rfc822;", "rfc822:", "mailto:", "sip:"}

// robotLocals are the local parts of mail systems and list managers:
// never a reader, always the report's own machinery or ours.
var robotLocals = map[string]bool{
	"postmaster": true, "mailer-daemon": true, "mailer_daemon": true, "maildaemon": true, "mail-daemon": true,
	"mdaemon": true, "daemon": true, "root": true, "abuse": true, "hostmaster": true, "webmaster": true,
	"listserv": true, "majordomo": true, "majordom": true, "listproc": true, "mailman": true, "nobody": true,
	"noreply": true, "no-reply": true, "do-not-reply": true, "donotreply": true, "bounce": true, "bounces": true,
	"mailerdaemon": true, "smtp": true, "mail": true, "admin": true, "administrator": true,
}

// robotSuffixes and robotPrefixes mark list and bounce addresses
// (Mailman's -bounces, -request, -owner, -admin; majordomo's owner-),
// including VERP forms such as LIST-bounces+alice=example.org.
var (
	robotSuffixes = []string{"-bounces", "-bounce", "-request", "-owner", "-admin", "-errors", "-return", "-unsubscribe", "-confirm"}
	robotInfixes  = []string{"-bounces+", "-bounce+", "-request+", "-unsubscribe+", "-confirm+", "bounces+", "bounce-", "-bounces-"}
	robotPrefixes = []string{"owner-", "bounce-", "bounces-", "postmaster", "mailer-daemon", "return-", "srs0=", "srs1="}
)

// cleanCandidate strips what reports put around an address and says
// whether what is left may be a recipient.
func cleanCandidate(s string) (string, bool) {
	s = strings.ToLower(strings.Trim(s, "<>\"'.:;,()[] "))
	for _, p := range addressPrefixes {
		s = strings.TrimPrefix(s, p)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return "", false
	}
	local, domain := s[:at], s[at+1:]
	if !strings.Contains(domain, ".") || strings.ContainsAny(local, "/;=$") && !strings.Contains(local, "+") {
		// X.400 strings (c=us;a=;p=...), Exchange's /o=... forms and
		// Message-ID-like local parts are not mailboxes.
		return "", false
	}
	if !plausibleLocal(local) {
		return "", false
	}
	return s, true
}

// plausibleLocal refuses the local parts of robots and lists, and the
// obfuscated ones ("david...") of archived reports.
func plausibleLocal(local string) bool {
	return !strings.Contains(local, "..") && !strings.HasPrefix(local, ".") && !strings.HasSuffix(local, ".") && !isRobotLocal(local)
}

func isRobotLocal(local string) bool {
	if robotLocals[local] {
		return true
	}
	base, _, _ := strings.Cut(local, "+")
	if robotLocals[base] {
		return true
	}
	for _, suf := range robotSuffixes {
		if strings.HasSuffix(base, suf) {
			return true
		}
	}
	for _, in := range robotInfixes {
		if strings.Contains(local, in) {
			return true
		}
	}
	for _, pre := range robotPrefixes {
		if strings.HasPrefix(local, pre) {
			return true
		}
	}
	return false
}

// ownAddresses are the addresses a report is about, as sender and
// receiver, never as the failed recipient: who the report went to, who
// sent it, and the returned message's From, Sender, Reply-To, Return-Path
// and list headers (the list's own addresses).
func ownAddresses(m *message) map[string]bool {
	own := map[string]bool{}
	collect := func(v string) {
		for _, a := range addressRe.FindAllString(v, -1) {
			own[strings.ToLower(strings.Trim(a, "<>"))] = true
		}
	}
	for _, k := range []string{"To", "Cc", "From", "Sender", "Return-Path", "Reply-To"} {
		collect(m.header.Get(k))
	}
	if orig, err := mail.ReadMessage(strings.NewReader(m.originalText())); err == nil {
		// Not its From: a reader who posted to a list can bounce its copy.
		for _, k := range []string{"Sender", "Return-Path", "Errors-To", "List-Post", "List-Help",
			"List-Unsubscribe", "List-Subscribe", "List-Owner", "List-Id", "Message-Id", "In-Reply-To", "References"} {
			collect(orig.Header.Get(k))
		}
	}
	return own
}
