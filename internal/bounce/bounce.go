// Package bounce reads delivery reports: RFC 3464 delivery status
// notifications (also wrapped in multipart/mixed, with odd Action values),
// the plain-text reports of MTAs and mailbox providers that send none, and
// auto-replies. It returns every recipient a report names with the kind of
// failure and the diagnostic, and it never returns an address it cannot
// show to be a failed recipient: robots, list addresses, Message-IDs and
// addresses without a dotted domain are refused.
//
// It only reads; what a bounce does to a membership is the bounce
// service's business (package bounces).
package bounce

import (
	"strings"

	"golang.org/x/net/idna"
)

// Kind is what a report says about a recipient.
type Kind string

// Kinds of report. Only Hard and Soft are failures; a delay warning and an
// auto-reply never count against a reader.
const (
	Hard      Kind = "hard"       // the address does not work
	Soft      Kind = "soft"       // it may work later: mailbox full, gave up retrying
	Delay     Kind = "delay"      // still being retried: a warning, not a failure
	AutoReply Kind = "auto-reply" // vacation and other automatic answers
)

// Failure is one recipient named by a report.
type Failure struct {
	Recipient string // the address mailed, in canonical form (Canonical)
	// Also are the other forms the report gives the same recipient: the
	// Final-Recipient when Original-Recipient is Recipient (RFC 3464
	// §2.3.1-2), where an alias led. The caller takes whichever form it
	// sent to.
	Also       []string
	Kind       Kind
	Status     string // RFC 3463 status, e.g. 5.1.1, when known
	Diagnostic string // one line for people
}

// Report is what a message says.
type Report struct {
	// Kind is the worst kind among Failures, or Delay/AutoReply for
	// messages that are reports but not failures, or "" for a message that
	// is no report at all.
	Kind       Kind
	Failures   []Failure
	Diagnostic string // for the whole message, when no recipient is named
}

// Forms are Recipient and Also: every form of the failed recipient.
func (f Failure) Forms() []string { return append([]string{f.Recipient}, f.Also...) }

// Names says whether addr is one of the failure's forms, compared in
// canonical form.
func (f Failure) Names(addr string) bool {
	addr = Canonical(addr)
	for _, a := range f.Forms() {
		if a == addr {
			return true
		}
	}
	return false
}

// Canonical is the form in which addresses are compared: lower case, the
// domain in IDNA A-label form (RFC 5890), so that neko@xn--cesupi09d.jp
// and its Unicode spelling are one address. What does not convert is only
// lower-cased.
func Canonical(addr string) string {
	addr = strings.ToLower(strings.TrimSpace(addr))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || isASCII(addr[at+1:]) {
		return addr
	}
	d, err := idnaProfile.ToASCII(addr[at+1:])
	if err != nil {
		return addr
	}
	return addr[:at+1] + d
}

// idnaProfile maps domains as mail systems look them up (IDNA2008 with
// the UTS #46 mapping), as package address does.
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false))

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Failed reports whether the message reports a failure (hard or soft),
// whether or not it names the recipient.
func (r Report) Failed() bool { return r.Kind == Hard || r.Kind == Soft }

// For returns the report's word on one address: its failure if the report
// names it, else the report's overall kind without a recipient.
func (r Report) For(addr string) Failure {
	addr = Canonical(addr)
	for _, f := range r.Failures {
		if f.Names(addr) {
			return f
		}
	}
	f := Failure{Recipient: addr, Kind: r.Kind, Diagnostic: r.Diagnostic}
	if len(r.Failures) > 0 {
		f.Status, f.Diagnostic = r.Failures[0].Status, r.Failures[0].Diagnostic
	}
	return f
}

// MaxSize bounds the part of a message read: reports put what matters
// first, and the original message they carry is not needed whole.
const MaxSize = 256 << 10

// Parse reads one message. It never fails: what it cannot read is no
// report it can use, and says so in Diagnostic.
func Parse(raw []byte) Report {
	if len(raw) > MaxSize {
		raw = raw[:MaxSize]
	}
	return parse(raw, 0)
}

// maxForwards bounds how deep a report forwarded inside another is read.
const maxForwards = 2

func parse(raw []byte, depth int) Report {
	m, ok := readMessage(raw)
	if !ok {
		return Report{Diagnostic: "not a mail message"}
	}
	if r, ok := feedbackReport(m); ok { // a spam complaint (arf.go): never a bounce
		return r
	}
	if r, ok := fromDSN(m); ok {
		return r
	}
	if r, ok := fromFML(m); ok { // a mailing list manager's refusal (fml.go)
		return r
	}
	if isAutoReply(m) {
		return Report{Kind: AutoReply, Diagnostic: "auto-reply, not a bounce"}
	}
	r := fromText(m)
	if len(r.Failures) > 0 || depth >= maxForwards {
		return r
	}
	// A report forwarded as an attachment (a DSN wrapped in
	// multipart/mixed by a forwarding host) speaks for the outer message.
	for _, p := range m.parts {
		if p.ctype == "message/rfc822" || p.ctype == "message/global" {
			if inner := parse(p.body, depth+1); len(inner.Failures) > 0 {
				return inner
			}
		}
	}
	return r
}

// rank orders kinds by how much they count.
var rank = map[Kind]int{Hard: 4, Soft: 3, Delay: 2, AutoReply: 1}

// worst is the kind that counts most: hard over soft over delay.
func worst(fs []Failure) Kind {
	var k Kind
	for _, f := range fs {
		if rank[f.Kind] > rank[k] {
			k = f.Kind
		}
	}
	return k
}

// add appends f unless one of its forms is already there.
func add(fs []Failure, f Failure) []Failure {
	f.Recipient = Canonical(f.Recipient)
	for i, a := range f.Also {
		f.Also[i] = Canonical(a)
	}
	for _, g := range fs {
		for _, a := range f.Forms() {
			if g.Names(a) {
				return fs
			}
		}
	}
	return append(fs, f)
}
