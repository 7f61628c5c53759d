package bounce

import (
	"regexp"
	"strings"
)

// field is one "Name: value" line of a delivery-status part, unfolded.
type field struct{ name, value string }

// fromDSN reads the message/delivery-status parts of an RFC 3464 report,
// wherever they are in the tree. ok is false when there is none, or when
// it names nobody, so that the text of the report is read instead; a
// report whose every recipient succeeded is read as no failure at all.
func fromDSN(m *message) (Report, bool) {
	var fs []Failure
	seen, positive := false, 0
	for _, p := range m.parts {
		if p.ctype != "message/delivery-status" && p.ctype != "message/global-delivery-status" {
			continue
		}
		seen = true
		fs = groupFailures(fs, string(p.body))
		positive += positiveGroups(string(p.body))
	}
	if len(fs) == 0 && positive > 0 {
		// A success report (RFC 3464 §2.3.3 Action delivered, relayed or
		// expanded; Postfix's "deliverable" of a verify request): its
		// text names the recipients too, and none of them failed.
		return Report{Diagnostic: "a delivery report: every recipient delivered, relayed or expanded"}, true
	}
	if !seen {
		// The status fields of a report whose MIME structure broke on
		// the way (a boundary line indented, so that the
		// message/delivery-status part stays inside the text part) are
		// still RFC 3464 fields: read them where they are.
		for _, p := range m.parts {
			if !p.original && p.ctype == "text/plain" {
				fs = groupFailures(fs, string(p.body))
			}
		}
	}
	if len(fs) == 0 {
		return Report{}, false
	}
	return Report{Kind: worst(fs), Failures: fs}, true
}

// positiveGroups counts the per-recipient groups of body that report a
// success.
func positiveGroups(body string) int {
	n := 0
	for _, group := range recipientGroups(body) {
		action := strings.ToLower(get(group, "action"))
		if strings.HasPrefix(action, "deliver") || strings.HasPrefix(action, "relay") || strings.HasPrefix(action, "expand") {
			n++
		}
	}
	return n
}

// groupFailures adds the failures of the per-recipient groups of body.
func groupFailures(fs []Failure, body string) []Failure {
	for _, group := range recipientGroups(body) {
		if f, ok := groupFailure(group); ok {
			fs = add(fs, f)
		}
	}
	return fs
}

// recipientGroups splits a status part into its per-recipient field
// groups. Blank lines separate groups; a second Final-Recipient without a
// blank line before it starts a new group too, as some MTAs write them.
func recipientGroups(body string) [][]field {
	var groups [][]field
	var cur []field
	flush := func() {
		if hasField(cur, "final-recipient") || hasField(cur, "original-recipient") {
			groups = append(groups, cur)
		}
		cur = nil
	}
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case (line[0] == ' ' || line[0] == '\t') && len(cur) > 0:
			cur[len(cur)-1].value += " " + strings.TrimSpace(line)
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "final-recipient" && hasField(cur, "final-recipient") {
				flush()
			}
			cur = append(cur, field{name, strings.TrimSpace(value)})
		}
	}
	flush()
	return groups
}

func hasField(fs []field, name string) bool { return get(fs, name) != "" }

func get(fs []field, name string) string {
	for _, f := range fs {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

var dsnStatusRe = regexp.MustCompile(`\b[245]\.\d{1,3}\.\d{1,3}\b`)

// groupFailure reads one recipient's fields: Action failed (or "failure",
// or "failed (...)") is a failure, delayed a delay; delivered, relayed and
// expanded are not reported.
func groupFailure(g []field) (Failure, bool) {
	// The original recipient is the address we sent to; the final one may
	// be where an alias led.
	rcpt, final := recipientField(get(g, "original-recipient")), recipientField(get(g, "final-recipient"))
	var also []string
	switch {
	case rcpt == "":
		rcpt = final
	case final != "" && Canonical(final) != Canonical(rcpt):
		// Both named and different (an alias rewritten, a subdomain
		// dropped): the caller takes the one it sent to.
		also = []string{final}
	}
	if rcpt == "" {
		return Failure{}, false
	}
	status := dsnStatusRe.FindString(get(g, "status"))
	diag := oneLine(get(g, "diagnostic-code"))
	if _, d, ok := strings.Cut(diag, ";"); ok && !strings.Contains(strings.SplitN(diag, ";", 2)[0], " ") {
		diag = strings.TrimSpace(d)
	}
	f := Failure{Recipient: rcpt, Also: also, Status: status, Diagnostic: firstNonEmpty(diag, statusWords(status))}
	action := strings.ToLower(get(g, "action"))
	switch {
	case strings.HasPrefix(action, "fail"):
		f.Kind = failureKind(status, diag, Hard)
	case strings.HasPrefix(action, "delay"):
		f.Kind = Delay
	case strings.HasPrefix(action, "deliver"), strings.HasPrefix(action, "relay"), strings.HasPrefix(action, "expand"):
		return Failure{}, false
	case strings.HasPrefix(status, "5"):
		// No or unknown Action: a permanent status still says it failed.
		f.Kind = failureKind(status, diag, Hard)
	case strings.HasPrefix(status, "4"):
		f.Kind = Delay
	default:
		return Failure{}, false
	}
	return f, true
}

// recipientField reads "rfc822; <user@example.org>". An address type
// other than rfc822 (x400, unknown) names no address we sent to.
func recipientField(v string) string {
	typ, addr, ok := strings.Cut(v, ";")
	if !ok {
		addr, typ = v, "rfc822"
	}
	typ = strings.ToLower(strings.TrimSpace(typ))
	if typ != "rfc822" && typ != "utf-8" {
		return ""
	}
	addr = strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>\"' "))
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || strings.ContainsAny(addr, " ;,") || !plausibleRecipientField(addr[:at]) || !plausibleDomain(addr[at+1:]) {
		return ""
	}
	return addr
}

// plausibleDomain: a host name of letters, digits, hyphens and dots
// (RFC 5321 §4.1.2), or an internationalised one, with a dot. A DSN that
// names "recipient@#example.net" reports an address that was never
// deliverable, so nobody we could have sent to.
func plausibleDomain(d string) bool {
	if !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r >= 0x80) {
			return false
		}
	}
	return true
}

// plausibleRecipientField is plausibleLocal for a DSN's recipient fields:
// a report's structured field names the mailbox mailed, so a system
// mailbox there (postmaster@ mailed as a member) is taken, while list and
// bounce addresses, which no list mails, are still refused.
func plausibleRecipientField(local string) bool {
	base, _, _ := strings.Cut(local, "+")
	if robotLocals[base] && !strings.ContainsAny(local, "+=") {
		return !strings.Contains(local, "..")
	}
	return plausibleLocal(local)
}

func statusWords(status string) string {
	if status == "" {
		return "delivery failed"
	}
	return "status " + status
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
