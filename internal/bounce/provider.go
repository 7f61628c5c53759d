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
	for _, sub := range toLineRe.FindAllStringSubmatch(text, -1) {
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
