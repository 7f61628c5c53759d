package bounce

import (
	"regexp"
	"strings"
)

// Phrases of failure reports, in the report's text or its Subject.
var failureMarkers = []string{
	"could not be delivered", "couldn't be delivered", "wasn't delivered", "was not delivered", "not be delivered",
	"delivery has failed", "delivery failed", "delivery failure", "unable to deliver", "undeliverable", "undelivered",
	"permanent fatal error", "permanent error", "following address(es) failed", "following addresses failed",
	"the following addresses had", "qmail-send program", "failure notice", "returned mail", "address not found",
	"not delivered to", "could not deliver", "did not reach", "message not delivered", "mail delivery failed",
	"user unknown", "unknown user", "no such user", "does not exist", "delivery problem", "nondeliverable",
	"non-deliverable", "error transferring", "failed to deliver", "delivery to the following", "mail system error",
	"permanently", "not able to deliver", "reply-to address", "mailbox unavailable", "i'm afraid i wasn't able",
	"message could not", "delivery notification", "unknown recipient", "no mailbox", "not listed in",
	"did not exactly match", "was aborted", "automatically rejected", "was rejected", "is unavailable",
	"invalid mailbox", "user not found", "non remis", "mail failed", "failed mail", "non-delivery", "non delivery",
	"error has occurred while attempting to deliver", // OpenSMTPD's bounce.c
	"incorrectly constructed",                        // Exim's "Mail failure - malformed recipient address"
	"nicht zugestellt", "no pudo ser entregado", "non recapitabile", "pas pu être", "n'existe pas", "unzustellbar",
}

// Phrases of warnings: the server is still trying.
var delayMarkers = []string{
	"warning message only", "warning: message", "this is a warning", "will continue to try", "will keep trying",
	"will be retried", "still being retried", "has not yet been delivered", "not been delivered yet",
	"delivery delayed", "message delayed", "delayed mail", "could not send message for past", "will try again",
	"not yet been delivered", "delivery attempts will continue", "this message has been delayed", "transient",
	"delivery status notification (delay)", "warning: could not send",
}

// Phrases that say the server gave up, outweighing a warning phrase.
var gaveUpMarkers = []string{"permanent", "gave up", "giving up", "not going to try again", "too long",
	"failed permanently", "will not be", "no further attempts", "fatal error", "has been deleted"}

// The returned message starts at one of these lines; nothing below them
// is the report's own word.
var originalStartRe = regexp.MustCompile(`(?im)^[ \t>|-]*(?:` +
	`-+ ?(?:original message|below (?:the next line|this line) is a copy|the header of the original|unsent message below|mensaje original|message removed|headers of your message)` +
	`|(?:original message|below this line is a copy|the original message (?:is|headers)|-+ ?message header follows|-+ ?message body|locator information|-+ ?error detail|recommended action|returned message|message headers follow|original message follows|the text you sent follows|unsent message below|header of the original|copy of the original message|original message header|\*\*\* original)` +
	`|received: (?:from|by) )`)

// A line of the returned message's headers, quoted inside the report.
var headerLineRe = regexp.MustCompile(`(?i)^[ \t>]*(?:received|message-id|from|to|cc|bcc|reply-to|sender|return-path|date|subject|in-reply-to|references|delivered-to|errors-to|envelope-to|content-[a-z-]+|mime-version|x-[a-z0-9-]+|list-[a-z-]+|precedence|resent-[a-z-]+|thread-[a-z]+|dkim-signature|authentication-results|arc-[a-z-]+)[ \t]*:`)

// Words right before an address that make it somebody else than the
// failed recipient: whom to contact, who sent, who reported.
var notRecipientRe = regexp.MustCompile(`(?i)(?:^|[^a-z])(?:contact|from|by|sender|sent by|reply to|write to|mail to the|postmaster|administrator|helpdesk|support|report(?:ed)? by|via|message-id|id|is)[ \t:<"'(]*$`)

// ...except an address an alias was made from, which is ours.
var expandedFromRe = regexp.MustCompile(`(?i)(?:generated|expanded|forwarded) from[ \t:<"'(]*$`)

var (
	statusRe   = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	qmailRe    = regexp.MustCompile(`\(#([245]\.\d{1,3}\.\d{1,3})\)`)
	smtpCodeRe = regexp.MustCompile(`(?:^|[^0-9.])([45][0-9][0-9])(?:[ :-]|$)`)
)

// fromText reads a report without a usable delivery-status part.
func fromText(m *message) Report {
	text := cutOriginal(m.reportText())
	lower := asciiLower(text)
	subject := asciiLower(decodeHeader(m.header.Get("Subject")))
	xFailed := m.header.Get("X-Failed-Recipients")
	failed := xFailed != "" || containsAny(lower, failureMarkers) || containsAny(subject, failureMarkers)
	delayed := containsAny(lower, delayMarkers) || containsAny(subject, delayMarkers)
	// A "no-reply" sender counts only when it returns the message: some
	// carriers (au/KDDI) send their reports so.
	robot := isRobotSender(m.header) || noReplySender(m.header) && m.hasOriginal()
	if !robot && !robotSubject(subject) && xFailed == "" {
		return Report{Diagnostic: "not a bounce"}
	}
	// A mailer-daemon returning a message says it failed, in whatever
	// language it says so.
	failed = failed || isDaemon(m.header) && m.hasOriginal()
	if !failed && !delayed {
		return Report{Diagnostic: "not a bounce"}
	}
	kind := Hard
	if delayed && !containsAny(lower, gaveUpMarkers) {
		kind = Delay
	}
	own := ownAddresses(m)
	var fs []Failure
	for _, a := range addressRe.FindAllString(xFailed, -1) {
		if c, ok := cleanCandidate(a); ok && !own[c] {
			fs = add(fs, describe(text, lower, c, kind))
		}
	}
	if len(fs) == 0 {
		for _, forms := range candidates(text, own) {
			f := describe(text, lower, forms[len(forms)-1], kind)
			f.Recipient, f.Also = forms[0], forms[1:]
			fs = add(fs, f)
		}
	}
	if len(fs) == 0 {
		for _, c := range headedList(text, own) {
			fs = add(fs, describe(text, lower, c, kind))
		}
	}
	if len(fs) == 0 {
		for _, c := range providerAddresses(m, text, own) {
			fs = add(fs, describe(text, lower, c, kind))
		}
	}
	if len(fs) == 0 {
		return Report{Kind: kind, Diagnostic: reasonLine(text)}
	}
	return Report{Kind: worst(fs), Failures: fs}
}

// robotSubject: the Subjects of delivery reports.
func robotSubject(subject string) bool {
	return containsAny(subject, []string{"undeliver", "delivery status notification", "delivery failure", "failure notice",
		"returned mail", "mail delivery failed", "delivery notification", "nondeliverable", "non-deliverable",
		"mail system error", "delivery problem", "could not be delivered", "user unknown", "warning: could not send",
		"delivery delayed", "undelivered mail", "failed mail", "mail failed", "non-delivery", "non delivery",
		"non remis", "rejected mail", "returning message to sender"})
}

// After these, a report gives advice, and the addresses in it are examples
// and people to ask.
var adviceRe = regexp.MustCompile(`(?i)following locator information|-+ ?error detail|recommended action is`)

// cutOriginal drops the returned message quoted at the end of a report,
// and the advice that some reports give after their failures.
func cutOriginal(text string) string {
	if loc := originalStartRe.FindStringIndex(text); loc != nil {
		text = text[:loc[0]]
	}
	if loc := adviceRe.FindStringIndex(text); loc != nil {
		text = text[:loc[0]]
	}
	return text
}

// candidates are the addresses of the report's text that may be failed
// recipients, in order: not on a quoted header line, not introduced as a
// contact or a sender, not a robot's, a list's or the report's own. An
// address the report gives as the one an alias was "expanded from" or
// "generated from" (Sendmail, Exim) joins the address before it as its
// first form: it is the one that was mailed.
func candidates(text string, own map[string]bool) [][]string {
	var out [][]string
	contacts := contactAddresses(text)
	for _, line := range strings.Split(text, "\n") {
		if headerLineRe.MatchString(line) {
			continue
		}
		for _, loc := range addressRe.FindAllStringIndex(line, -1) {
			before := line[:loc[0]]
			alias := expandedFromRe.MatchString(before)
			if notRecipientRe.MatchString(before) && !alias || strings.HasSuffix(strings.TrimRight(before, " "), "<") && strings.Contains(asciiLower(before), "id") {
				continue
			}
			c, ok := cleanCandidate(line[loc[0]:loc[1]])
			switch {
			case !ok || own[c] || contacts[c]:
			case alias && len(out) > 0:
				out[len(out)-1] = append([]string{c}, out[len(out)-1]...)
			default:
				out = append(out, []string{c})
			}
		}
	}
	return out
}

// Words right before an address that make it the one to ask for help.
var contactRe = regexp.MustCompile(`(?i)(?:contact|write to|helpdesk|help desk|support|administrator)[ \t:<"'(]*$`)

// contactAddresses are the addresses a report gives as whom to contact
// for help. A report that says so once and names the same help desk again
// in words it is not read in (OCN's Postfix notice repeats "contact
// <support@...>" in Japanese) still names a help desk, not a failure.
func contactAddresses(text string) map[string]bool {
	contacts := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		for _, loc := range addressRe.FindAllStringIndex(line, -1) {
			if contactRe.MatchString(line[:loc[0]]) {
				if c, ok := cleanCandidate(line[loc[0]:loc[1]]); ok {
					contacts[c] = true
				}
			}
		}
	}
	return contacts
}

// describe finds the status and reason a report gives near an address.
func describe(text, lower, addr string, kind Kind) Failure {
	f := Failure{Recipient: addr, Kind: kind}
	window := text
	if i := strings.Index(lower, addr); i >= 0 {
		window = text[i:min(len(text), i+600)]
	}
	if m := qmailRe.FindStringSubmatch(window); m != nil {
		f.Status = m[1]
	} else if s := statusRe.FindString(window); s != "" {
		f.Status = s
	} else if m := smtpCodeRe.FindStringSubmatch(window); m != nil {
		f.Status = m[1][:1] + ".0.0"
	}
	f.Diagnostic = reasonLine(window)
	if kind != Delay {
		f.Kind = failureKind(f.Status, window, Hard)
	}
	return f
}

// reasonLine is the first line of a window that gives a status or an
// SMTP reply, else its first line with words.
func reasonLine(window string) string {
	first := ""
	for _, line := range strings.Split(window, "\n") {
		l := strings.TrimSpace(line)
		if statusRe.MatchString(l) || smtpCodeRe.MatchString(l) || qmailRe.MatchString(l) {
			return oneLine(l)
		}
		if first == "" && len(strings.Fields(l)) > 2 {
			first = l
		}
	}
	return firstNonEmpty(oneLine(first), "delivery failed")
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
