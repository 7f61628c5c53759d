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

// Quoted is a report read once for the fields it quotes of the original.
type Quoted struct {
	header mail.Header // the returned part's header; nil when none
	parts  [][]byte    // every decoded part
}

// Quote reads raw for Fields.
func Quote(raw []byte) Quoted {
	m, ok := readMessage(raw)
	if !ok {
		return Quoted{}
	}
	q := Quoted{header: originalHeader(m)}
	for _, p := range m.parts {
		q.parts = append(q.parts, p.body)
	}
	return q
}

// Fields are the values of the header field name wherever the report
// quotes the original: its returned part's header first, then the lines of
// every decoded part in order, each value once. The report's own header
// is not among them.
func (q Quoted) Fields(name string) []string {
	var out []string
	if q.header != nil {
		out = append(out, q.header[textproto.CanonicalMIMEHeaderKey(name)]...)
	}
	for _, body := range q.parts {
		for _, f := range quotedField.FindAllSubmatch(body, -1) {
			if v := strings.TrimSpace(string(f[2])); strings.EqualFold(string(f[1]), name) && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// QuotedFields is Quote(raw).Fields(name).
func QuotedFields(raw []byte, name string) []string { return Quote(raw).Fields(name) }
