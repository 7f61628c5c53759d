package bounce

import (
	"regexp"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// isDaemon: the report's From is the mail system itself.
func isDaemon(h interface{ Get(string) string }) bool {
	from := asciiLower(h.Get("From"))
	return strings.Contains(from, "mailer-daemon@") || strings.Contains(from, "postmaster@") || strings.TrimSpace(from) == "<>"
}

func (m *message) hasOriginal() bool {
	for _, p := range m.parts {
		if p.original {
			return true
		}
	}
	return false
}

var (
	toLineRe     = regexp.MustCompile(`(?im)^[ \t]*to:[ \t]*(.*)$`)
	listIntroRe  = regexp.MustCompile(`(?i)(?:following (?:recipients?|addresses|users?)[^\n]*|delivered to the following)[:.]?[ \t]*\n`)
	bareNameRe   = regexp.MustCompile(`^[ \t]*([A-Za-z0-9][A-Za-z0-9._-]{0,63})(?:[ \t]{2,}.*)?[ \t]*$`)
	reporterAtRe = regexp.MustCompile(`@([A-Za-z0-9.-]+)`)
)

// providerAddresses is the last resort for reports that name a mailbox of
// the provider that sends them without a whole address: AOL's bare screen
// names, a university's user names, Yahoo's quoted "To:" line. They count
// only in the reporting provider's own domain, so an address elsewhere
// (the list's, a sender's) is never taken.
func providerAddresses(m *message, text string, own map[string]bool) []string {
	domain := reporterDomain(m.header.Get("From"))
	if domain == "" {
		return nil
	}
	var out []string
	// The To line of the returned message counts too: carriers (Verizon's
	// MMS gateway) name the recipient only there, below "Original
	// Message:", where the report's own text was cut.
	for _, sub := range toLineRe.FindAllStringSubmatch(m.reportText(), -1) {
		for _, a := range addressRe.FindAllString(sub[1], -1) {
			if c, ok := cleanCandidate(a); ok && !own[c] && strings.HasSuffix(c, "@"+domain) {
				out = append(out, c)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	if loc := listIntroRe.FindStringIndex(text); loc != nil {
		for _, line := range strings.Split(text[loc[1]:], "\n") {
			sub := bareNameRe.FindStringSubmatch(line)
			if sub == nil {
				break
			}
			if c, ok := cleanCandidate(sub[1] + "@" + domain); ok && !own[c] {
				out = append(out, c)
			}
		}
	}
	return out
}

// reporterDomain is the registered domain of the report's sender:
// mr2.its.yale.edu reports for yale.edu.
func reporterDomain(from string) string {
	m := reporterAtRe.FindStringSubmatch(from)
	if m == nil {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(strings.Trim(m[1], ".")))
	if err != nil {
		return ""
	}
	return d
}

// headedAddressRe is a line that is one address and nothing else.
var headedAddressRe = regexp.MustCompile(`^[ \t]*<?([^\s<>@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?[ \t]*$`)

// headedList reads the addresses listed, one a line, right under a
// report's heading of failed recipients (Sendmail's and Biglobe's "The
// following addresses had delivery problems"). There a robot's local part (postmaster@) is the
// recipient itself, not a contact, so only the report's own and the
// sender's addresses are left out.
func headedList(text string, own map[string]bool) []string {
	loc := listIntroRe.FindStringIndex(text)
	if loc == nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(text[loc[1]:], "\n") {
		sub := headedAddressRe.FindStringSubmatch(line)
		if sub == nil {
			if strings.TrimSpace(line) == "" && len(out) == 0 {
				continue
			}
			break
		}
		if a := strings.ToLower(sub[1]); !own[a] {
			out = append(out, a)
		}
	}
	return out
}
