package bounce

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"

	"golang.org/x/net/html"
)

// Limits on the MIME tree: a real report is two or three levels deep with
// a handful of parts; a deeper tree is built to make parsers slow.
const (
	maxDepth = 8
	maxParts = 64
)

// part is one leaf of the MIME tree, decoded from its transfer encoding.
type part struct {
	ctype    string // lower-cased media type
	body     []byte
	original bool // the returned message (or its headers), not the report
}

// message is a mail reduced to its headers and its leaves.
type message struct {
	header mail.Header
	parts  []part
}

func readMessage(raw []byte) (*message, bool) {
	raw = skipMboxLine(raw)
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, false
	}
	m := &message{header: msg.Header}
	w := walker{m: m}
	w.walk(textproto.MIMEHeader(msg.Header), msg.Body, 0, false)
	return m, true
}

// skipMboxLine drops the "From " line that starts a message kept in an
// mbox file, which is not a header.
func skipMboxLine(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			return raw[i+1:]
		}
	}
	return raw
}

type walker struct {
	m     *message
	count int
}

func (w *walker) walk(h textproto.MIMEHeader, body io.Reader, depth int, original bool) {
	if w.count >= maxParts {
		return
	}
	w.count++
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt == "" {
		mt = "text/plain"
	}
	switch {
	case strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" && depth < maxDepth:
		data, _ := io.ReadAll(io.LimitReader(body, MaxSize))
		if !w.walkParts(data, params["boundary"], depth, original) {
			// A report declared multipart whose boundary never comes
			// (Post.Office/PMDF-era Messaging Server reports lose their
			// separators on the way): its body is its text.
			w.m.parts = append(w.m.parts, part{ctype: "text/plain", body: data, original: original})
		}
	case mt == "message/rfc822" || mt == "message/global" || mt == "text/rfc822-headers" || mt == "message/rfc822-headers":
		w.m.parts = append(w.m.parts, part{ctype: mt, body: readBody(h, body), original: true})
	default:
		w.m.parts = append(w.m.parts, part{ctype: mt, body: readBody(h, body), original: original})
	}
}

// walkParts walks the parts of a multipart body and says whether it had
// any.
func (w *walker) walkParts(data []byte, boundary string, depth int, original bool) bool {
	mr := multipart.NewReader(bytes.NewReader(data), boundary)
	n := 0
	for w.count < maxParts {
		p, err := mr.NextRawPart()
		if err != nil {
			break
		}
		n++
		w.walk(p.Header, p, depth+1, original)
	}
	return n > 0
}

// readBody reads a leaf and undoes its transfer encoding; what cannot be
// decoded is kept as it came.
func readBody(h textproto.MIMEHeader, body io.Reader) []byte {
	data, _ := io.ReadAll(io.LimitReader(body, MaxSize))
	var r io.Reader
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		r = quotedprintable.NewReader(bytes.NewReader(data))
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, bytes.NewReader(data)) // it skips line breaks
	default:
		return data
	}
	dec, err := io.ReadAll(r)
	if err != nil && len(dec) == 0 {
		return data
	}
	return dec
}

// reportText is the text of the report's own parts, HTML reduced to text,
// without the returned message.
func (m *message) reportText() string {
	var b strings.Builder
	plain := false
	for _, p := range m.parts {
		plain = plain || !p.original && p.ctype == "text/plain"
	}
	for _, p := range m.parts {
		if p.original {
			continue
		}
		switch {
		case p.ctype == "text/html" && plain:
			continue // the same words as the plain part, without its lines
		case p.ctype == "text/html":
			b.WriteString(htmlText(p.body))
		case strings.HasPrefix(p.ctype, "text/"):
			b.Write(p.body)
		default:
			continue
		}
		b.WriteString("\n")
	}
	return b.String()
}

// originalText is the returned message or its headers, when the report
// carries them in a part of their own.
func (m *message) originalText() string {
	var b strings.Builder
	for _, p := range m.parts {
		if p.original {
			b.Write(p.body)
			b.WriteString("\n")
		}
	}
	return b.String()
}

func htmlText(data []byte) string {
	z := html.NewTokenizer(bytes.NewReader(data))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.WriteString(strings.ReplaceAll(string(z.Text()), "\u00a0", " "))
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "br", "p", "div", "tr", "li", "table":
				b.WriteString("\n")
			}
		}
	}
}
