package render

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/listaddr"
)

// Recipient holds one reader's values for a personalised copy.
type Recipient struct {
	Address   string // bare address, already validated
	Name      string // display name, may be empty
	Token     string // signed unsubscribe token (package token)
	MessageID string // without angle brackets; a random one is made when empty
	// FeedbackID is the Feedback-ID header's value (FeedbackID), the
	// same for a whole send; none is written when empty.
	FeedbackID string
}

// Prepared is a whole message rendered once, as static bytes between the
// places where per-recipient values go. Personalise fills those places: no
// Markdown, template or CSS work happens per recipient.
type Prepared struct {
	pieces   []part
	size     int // static bytes, to size buffers
	listName string
	book     listaddr.Book
}

type slotKind int

const (
	slotNone         slotKind = iota
	slotHeaders               // To, Message-ID, List-Unsubscribe lines
	slotTextAddress           // address in the text part (quoted-printable)
	slotTextUnsubURL          // unsubscribe URL in the text part
	slotHTMLAddress           // address in the HTML part (HTML-escaped, then QP)
	slotHTMLUnsubURL          // unsubscribe URL in the HTML part
)

type part struct {
	static []byte
	slot   slotKind
}

// prepare builds the message skeleton for rendered.
// With parts (images: inline) the alternative sits in a multipart/related
// with the images after it.
func (r *Renderer) prepare(rd *Rendered, parts []relatedPart) (*Prepared, error) {
	from, err := formatMailbox(rd.List.FromName, rd.List.FromAddress)
	if err != nil {
		return nil, fault.Errorf(fault.Invalid, "list %s: From: %v", rd.List.Name, err)
	}
	for what, v := range map[string]string{"subject": rd.Subject, "list title": rd.List.Title, "list name": rd.List.Name} {
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fault.Errorf(fault.Invalid, "%s contains a line break: refusing to build a header from it", what)
		}
	}
	boundary, err := newBoundary()
	if err != nil {
		return nil, err
	}
	p := &Prepared{listName: rd.List.Name, book: r.book}
	var h strings.Builder
	header := func(name, value string) { h.WriteString(foldHeader(name, value)) }
	header("From", from)
	header("Subject", encodeWords(rd.Subject))
	header("Date", r.opts.Now().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	header("MIME-Version", "1.0")
	header("List-Id", phrase(rd.List.Title)+" <"+r.book.ListID(rd.List.Name)+">")
	header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	header("List-Archive", "<"+r.ArchiveURL(rd.List.Name, "")+">")
	header("List-Help", "<mailto:"+r.book.Request(rd.List.Name)+"?subject=help>")
	header("List-Post", "NO")
	header("Precedence", "bulk")
	var b strings.Builder
	b.WriteString("\r\nThis is a multi-part message in MIME format.\r\n")
	related := ""
	if len(parts) > 0 {
		if related, err = newBoundary(); err != nil {
			return nil, err
		}
		header("Content-Type", `multipart/related; boundary="`+related+`"; type="multipart/alternative"`)
		b.WriteString("\r\n--" + related + "\r\n")
		b.WriteString(`Content-Type: multipart/alternative; boundary="` + boundary + "\"\r\n\r\n")
	} else {
		header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	}
	p.add(h.String(), slotHeaders)

	// The body: text first, HTML last, so clients prefer the HTML (RFC 2046).
	b.WriteString("\r\n--" + boundary + "\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	p.add(b.String(), slotNone)
	p.addBody(rd.Text, slotTextAddress, slotTextUnsubURL)
	p.add("\r\n--"+boundary+"\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", slotNone)
	p.addBody(rd.HTML, slotHTMLAddress, slotHTMLUnsubURL)
	p.add("\r\n--"+boundary+"--\r\n", slotNone)
	if len(parts) > 0 {
		var rel strings.Builder
		writeRelated(&rel, related, parts)
		p.add(rel.String(), slotNone)
	}
	return p, nil
}

func (p *Prepared) add(static string, slot slotKind) {
	p.pieces = append(p.pieces, part{static: []byte(static), slot: slot})
	p.size += len(static)
}

// addBody splits a body at its slots and quoted-printable-encodes the static
// runs between them.
func (p *Prepared) addBody(body string, addrSlot, urlSlot slotKind) {
	for len(body) > 0 {
		ia, iu := strings.Index(body, SlotAddress), strings.Index(body, SlotUnsubscribeURL)
		i, slot, n := -1, slotNone, 0
		switch {
		case ia >= 0 && (iu < 0 || ia < iu):
			i, slot, n = ia, addrSlot, len(SlotAddress)
		case iu >= 0:
			i, slot, n = iu, urlSlot, len(SlotUnsubscribeURL)
		}
		if i < 0 {
			p.add(string(encodeQP(body)), slotNone)
			return
		}
		enc := encodeQP(body[:i])
		if len(enc) > 0 && !strings.HasSuffix(string(enc), "\r\n") {
			enc = append(enc, "=\r\n"...)
		}
		p.add(string(enc), slot)
		body = body[i+n:]
	}
}

// Personalise appends r's copy of the message to dst and returns it.
// With a dst of enough capacity it makes no allocations beyond a random
// Message-ID when r has none.
func (p *Prepared) Personalise(dst []byte, r Recipient) ([]byte, error) {
	if strings.ContainsAny(r.Address, "\r\n") || strings.ContainsAny(r.Name, "\r\n") || strings.ContainsAny(r.Token, "\r\n<>, ") ||
		strings.ContainsAny(r.MessageID, "\r\n<> ") || strings.ContainsAny(r.FeedbackID, "\r\n ") {
		return dst, fault.Errorf(fault.Invalid, "recipient %q: line break or bracket in a header value", r.Address)
	}
	if r.MessageID == "" {
		id, err := NewMessageID(p.book.Host)
		if err != nil {
			return dst, err
		}
		r.MessageID = id
	}
	if cap(dst)-len(dst) < p.size+1024 {
		dst = append(make([]byte, 0, len(dst)+p.size+1024), dst...)
	}
	// Scratch space on the stack for the values, so that filling them in
	// allocates nothing.
	var addrBuf, urlBuf, escBuf [512]byte
	addr := append(addrBuf[:0], r.Address...)
	unsub := p.book.AppendUnsubscribeURL(urlBuf[:0], r.Token)
	for _, pc := range p.pieces {
		dst = append(dst, pc.static...)
		switch pc.slot {
		case slotHeaders:
			dst = p.appendHeaders(dst, r)
		case slotTextAddress:
			dst = appendQPValue(dst, addr)
		case slotTextUnsubURL:
			dst = appendQPValue(dst, unsub)
		case slotHTMLAddress:
			dst = appendQPValue(dst, appendHTMLEscaped(escBuf[:0], addr))
		case slotHTMLUnsubURL:
			dst = appendQPValue(dst, appendHTMLEscaped(escBuf[:0], unsub))
		}
	}
	return dst, nil
}

// SharedBody is the start of the body that every copy has, up to the
// first personal value: a DKIM signer hashes it once for the whole send.
func (p *Prepared) SharedBody() []byte {
	if len(p.pieces) < 2 || p.pieces[0].slot != slotHeaders || !strings.HasPrefix(string(p.pieces[1].static), "\r\n") {
		return nil
	}
	var out []byte
	for i, pc := range p.pieces[1:] {
		static := pc.static
		if i == 0 {
			static = static[2:] // the blank line that ends the header
		}
		out = append(out, static...)
		if pc.slot != slotNone {
			break
		}
	}
	return out
}

func (p *Prepared) appendHeaders(dst []byte, r Recipient) []byte {
	// The address was validated when it entered the store; only the name
	// needs quoting or encoding, and plain names need neither.
	dst = append(dst, "To: "...)
	if r.Name != "" {
		dst = append(dst, phrase(r.Name)...)
		dst = append(dst, " <"...)
		dst = append(dst, r.Address...)
		dst = append(dst, '>')
	} else {
		dst = append(dst, r.Address...)
	}
	dst = append(dst, "\r\nMessage-ID: <"...)
	dst = append(dst, r.MessageID...)
	// RFC 2369 and RFC 8058: the https URL for one-click POSTs, the mailto
	// for clients that send mail; folded after the comma.
	dst = append(dst, ">\r\nList-Unsubscribe: <"...)
	dst = p.book.AppendUnsubscribeURL(dst, r.Token)
	dst = append(dst, ">,\r\n <mailto:"...)
	dst = p.book.AppendTokenUnsubscribe(dst, p.listName, r.Token)
	dst = append(dst, "?subject=unsubscribe>\r\n"...)
	if r.Token != "" {
		dst = append(dst, MemberHeader+": "...)
		dst = append(dst, r.Token...)
		dst = append(dst, "\r\n"...)
	}
	if r.FeedbackID != "" {
		dst = append(dst, "Feedback-ID: "...)
		dst = append(dst, r.FeedbackID...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// NewMessageID returns a random, globally unique Message-ID on host,
// without angle brackets.
func NewMessageID(host string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fault.Wrap(fault.Internal, err, "random Message-ID")
	}
	return hex.EncodeToString(b) + "@" + host, nil
}

func newBoundary() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fault.Wrap(fault.Internal, err, "random boundary")
	}
	// "=_" cannot occur in quoted-printable text, so the boundary cannot
	// collide with any body line.
	return "=_mailer_" + hex.EncodeToString(b), nil
}

// formatMailbox writes "Name <addr>" with the name quoted or RFC 2047
// encoded as needed.
func formatMailbox(name, addr string) (string, error) {
	a, err := address.Parse(addr)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(name, "\r\n") {
		return "", fmt.Errorf("display name contains a line break")
	}
	if name == "" {
		return a.String(), nil
	}
	return phrase(name) + " <" + a.String() + ">", nil
}

// phrase renders a display name: as is when it is plain atoms, quoted when
// it has specials, RFC 2047 encoded when it is not ASCII.
func phrase(s string) string {
	if !isASCII(s) {
		return mime.QEncoding.Encode("utf-8", s)
	}
	if strings.ContainsAny(s, `()<>[]:;@\,."`) {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return s
}

// EncodeWords RFC 2047-encodes unstructured header text that is not ASCII.
func EncodeWords(s string) string { return encodeWords(s) }

// FoldHeader returns "Name: value\r\n" folded at spaces to 78 columns.
func FoldHeader(name, value string) string { return foldHeader(name, value) }

// FormatMailbox writes "Name <addr>" with the name quoted or encoded.
func FormatMailbox(name, addr string) (string, error) { return formatMailbox(name, addr) }

// encodeWords RFC 2047-encodes unstructured text that is not ASCII.
func encodeWords(s string) string {
	if isASCII(s) {
		return s
	}
	return mime.QEncoding.Encode("utf-8", s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldHeader returns "Name: value\r\n", folded at spaces so that lines stay
// within 78 characters where the value allows (RFC 5322 section 2.2.3).
func foldHeader(name, value string) string {
	var b strings.Builder
	b.WriteString(name + ":")
	col := len(name) + 1
	for i, word := range strings.Split(value, " ") {
		if i > 0 && col+1+len(word) > 78 {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteByte(' ')
		b.WriteString(word)
		col += 1 + len(word)
	}
	b.WriteString("\r\n")
	return b.String()
}
