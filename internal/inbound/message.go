package inbound

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"github.com/jordan-wright/email"
	"golang.org/x/net/html"
	"golang.org/x/text/encoding/htmlindex"

	"mailer/internal/address"
	"mailer/internal/fault"
)

// Message is an incoming mail, reduced to what the handler needs.
type Message struct {
	From       address.Address
	ReplyTo    *address.Address
	Subject    string
	MessageID  string
	References string // the References to put on an answer
	Text       string // the body as UTF-8 text; HTML-only mail converted
	Header     textproto.MIMEHeader
}

// ReplyAddress is where answers go: Reply-To, else From.
func (m *Message) ReplyAddress() address.Address {
	if m.ReplyTo != nil {
		return *m.ReplyTo
	}
	return m.From
}

// Parse reads a message with github.com/jordan-wright/email, which
// handles MIME structure and transfer encodings, then converts legacy
// charsets (ISO-8859-x, Windows-125x, ...) to UTF-8, which it leaves alone.
// Malformed mail is a fault.Invalid.
func Parse(raw []byte) (msg *Message, err error) {
	defer func() {
		// The MIME code is not ours; a message that breaks it is malformed.
		if r := recover(); r != nil {
			msg, err = nil, fault.Errorf(fault.Invalid, "malformed message: %v", r)
		}
	}()
	if err := checkShape(raw); err != nil {
		return nil, err
	}
	e, err := email.NewEmailFromReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "malformed message")
	}
	from, err := address.Parse(e.From)
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "malformed message: From")
	}
	m := &Message{From: from, Subject: oneLine(e.Subject), Header: e.Headers}
	if len(e.ReplyTo) > 0 {
		if rt, err := address.Parse(e.ReplyTo[0]); err == nil {
			m.ReplyTo = &rt
		}
	}
	m.MessageID = strings.TrimSpace(e.Headers.Get("Message-Id"))
	if strings.ContainsAny(m.MessageID, "\r\n") || len(m.MessageID) > 250 {
		m.MessageID = ""
	}
	refs := strings.Join(strings.Fields(e.Headers.Get("References")), " ")
	if len(refs) > 900 {
		refs = refs[len(refs)-900:] // keep the newest, as RFC 5322 suggests trimming
	}
	m.References = strings.TrimSpace(refs + " " + m.MessageID)
	textCS, htmlCS := charsets(raw)
	switch {
	case len(bytes.TrimSpace(e.Text)) > 0:
		m.Text = toUTF8(e.Text, textCS)
	case len(e.HTML) > 0:
		m.Text = htmlToText(toUTF8(e.HTML, htmlCS))
	}
	m.Text = strings.ReplaceAll(m.Text, "\r\n", "\n")
	return m, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// charsets finds the charset of the last text/plain and text/html parts,
// the parts jordan-wright/email keeps.
func charsets(raw []byte) (text, htmlCS string) {
	msg, err := readHeader(raw)
	if err != nil {
		return "", ""
	}
	var walk func(h textproto.MIMEHeader, body io.Reader, depth int)
	walk = func(h textproto.MIMEHeader, body io.Reader, depth int) {
		ct, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil && h.Get("Content-Type") != "" {
			return
		}
		switch {
		case h.Get("Content-Type") == "" || ct == "text/plain":
			text = params["charset"]
		case ct == "text/html":
			htmlCS = params["charset"]
		case strings.HasPrefix(ct, "multipart/") && depth < 20:
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					return
				}
				walk(p.Header, p, depth+1)
			}
		}
	}
	walk(msg.header, msg.body, 0)
	return text, htmlCS
}

type rawMessage struct {
	header textproto.MIMEHeader
	body   io.Reader
}

func readHeader(raw []byte) (*rawMessage, error) {
	tp := textproto.NewReader(bufioReader(raw))
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, err
	}
	return &rawMessage{header: h, body: tp.R}, nil
}

// toUTF8 decodes b from its declared charset. Undeclared text that is not
// UTF-8 is taken as Windows-1252, the usual truth behind a missing label.
func toUTF8(b []byte, charset string) string {
	cs := strings.ToLower(strings.TrimSpace(charset))
	if cs == "" || cs == "us-ascii" || cs == "utf-8" || cs == "utf8" {
		if utf8.Valid(b) {
			return string(b)
		}
		if cs == "" {
			cs = "windows-1252"
		} else {
			return strings.ToValidUTF8(string(b), "\uFFFD")
		}
	}
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

// htmlToText keeps the text of an HTML body with a line break for each
// block, enough to read commands out of it.
func htmlToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip, quote := 0, 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if t := strings.Join(strings.Fields(string(z.Text())), " "); skip == 0 && t != "" {
				if quote > 0 { // quoted earlier mail: mark it as plain text would
					b.WriteString("> ")
				}
				b.WriteString(t)
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			tt := z.Token().Type
			switch tag {
			case "script", "style", "head":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case "blockquote":
				if tt == html.StartTagToken {
					quote++
				} else if tt == html.EndTagToken && quote > 0 {
					quote--
				}
				b.WriteByte('\n')
			case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table":
				b.WriteByte('\n')
			}
		}
	}
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// checkShape counts a mail's multipart boundaries and delimiter lines in
// one pass over its lines, and refuses a mail past the limits.
func checkShape(raw []byte) error {
	boundaries := map[string]bool{}
	delimiters := 0
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimRight(line, "\r \t")
		if i := bytes.Index(bytes.ToLower(line), []byte("boundary=")); i >= 0 {
			b := bytes.Trim(line[i+len("boundary="):], "\"'; \t")
			if j := bytes.IndexAny(b, "\";"); j >= 0 {
				b = b[:j]
			}
			boundaries[string(b)] = true
			if len(boundaries) > maxBoundaries {
				return fault.Errorf(fault.Invalid, "malformed message: more than %d nested MIME multiparts", maxBoundaries)
			}
		}
		if bytes.HasPrefix(line, []byte("--")) && len(boundaries) > 0 {
			if boundaries[string(bytes.TrimSuffix(line[2:], []byte("--")))] {
				delimiters++
				if delimiters > maxDelimiters {
					return fault.Errorf(fault.Invalid, "malformed message: more than %d MIME parts", maxDelimiters)
				}
			}
		}
	}
	return nil
}

// Limits on a mail's MIME shape. Real command mails are a few parts two or
// three levels deep; a deeper tree costs the MIME reader time that grows
// with the square of its depth (10,000 levels took 36 s), and is refused
// before it is read.
const (
	maxBoundaries = 16  // distinct multipart boundaries: at least the nesting depth
	maxDelimiters = 512 // boundary lines: at least the number of parts
)
