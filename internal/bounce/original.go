package bounce

import (
	"net/mail"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
)

// OriginalHeader is the header of the message a report returns: its
// message/rfc822 or text/rfc822-headers part (RFC 3464 §2, RFC 6522 §3),
// nil when the report returns none as a part.
func OriginalHeader(raw []byte) mail.Header {
	m, ok := readMessage(raw)
	if !ok {
		return nil
	}
	return originalHeader(m)
}

// quotedField finds a header field quoted in a report's text: many MTAs
// (qmail, older Exim, providers' own reports) return the original as lines
// of the text, some prefixed "> ".
var quotedField = regexp.MustCompile(`(?im)^[ \t>]*([A-Za-z][A-Za-z0-9-]*):[ \t]*(\S[^\r\n]*)`)

// QuotedFields are the values of the header field name wherever the report
// quotes the original: its returned part's header first, then the lines of
// every decoded part in order, each value once. The report's own header
// is not among them.
func QuotedFields(raw []byte, name string) []string {
	m, ok := readMessage(raw)
	if !ok {
		return nil
	}
	var out []string
	if h := originalHeader(m); h != nil {
		out = append(out, h[textproto.CanonicalMIMEHeaderKey(name)]...)
	}
	for _, p := range m.parts {
		for _, f := range quotedField.FindAllSubmatch(p.body, -1) {
			if v := strings.TrimSpace(string(f[2])); strings.EqualFold(string(f[1]), name) && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}
