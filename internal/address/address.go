// Package address validates and normalises subscriber e-mail addresses.
//
// Mail addresses arrive from strangers (inbound commands, web forms, CSV
// imports), so everything is checked before it reaches the store or a header:
// RFC 5322 syntax via net/mail, the RFC 5321 length limits, no control
// characters (a CR or LF would let a caller inject headers), and a domain that
// can receive mail from the Internet.
package address

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"mailer/internal/fault"
)

// Limits from RFC 5321 section 4.5.3.1: a path is at most 256 octets including
// the angle brackets, so an address is at most 254.
const (
	MaxLocalLen   = 64
	MaxDomainLen  = 253
	MaxAddressLen = 254
	MaxLabelLen   = 63
	MaxNameLen    = 200
)

// Address is a validated, normalised mailbox.
type Address struct {
	Name   string // display name, may be empty
	Local  string // local part exactly as given: it may be case-sensitive
	Domain string // lower-cased
}

// String returns the bare address, local@domain, quoting the local part when
// it is not a dot-atom so that the result parses back to the same mailbox.
func (a Address) String() string { return quoteLocal(a.Local) + "@" + a.Domain }

// quoteLocal implements RFC 5322's quoted-string for local parts that need it.
func quoteLocal(local string) string {
	if isDotAtom(local) {
		return local
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range local {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if r >= utf8.RuneSelf { // RFC 6532 allows UTF-8 in atoms
			continue
		}
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r)) {
			return false
		}
	}
	return true
}

// Key is the identity used for uniqueness: the whole address lower-cased.
// RFC 5321 lets the local part be case-sensitive, but no real mailbox
// provider treats Alice@ and alice@ as two people, and storing both would
// mail one person twice.
func (a Address) Key() string { return strings.ToLower(a.String()) }

// Key is the identity of an address given as text: normalised as Parse
// does (so that a bounce naming xn--exmple-cua.org finds the member stored
// as exämple.org), then lower-cased; text that does not parse is only
// lower-cased.
func Key(addr string) string {
	if isASCII(addr) && !strings.Contains(addr, "xn--") && !strings.ContainsAny(addr, "<> \t\"") {
		return strings.ToLower(addr) // the common case, without parsing
	}
	if a, err := Parse(addr); err == nil {
		return a.Key()
	}
	return strings.ToLower(addr)
}

// Parse validates s, which may be a bare address or "Name <addr>", and
// returns it normalised. The error is a fault.Invalid naming the address and
// the reason.
func Parse(s string) (Address, error) {
	s = Clean(s)
	if err := checkChars(s); err != nil {
		return Address{}, invalid(s, err.Error())
	}
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		return Address{}, fault.Errorf(fault.Invalid, "empty address")
	}
	parsed, err := mail.ParseAddress(trimmed)
	if err != nil {
		return Address{}, invalid(s, reasonFor(trimmed, err))
	}
	at := strings.LastIndexByte(parsed.Address, '@')
	if at < 0 {
		return Address{}, invalid(s, "missing @domain")
	}
	domain, err := unicodeDomain(parsed.Address[at+1:])
	if err != nil {
		return Address{}, invalid(s, err.Error())
	}
	a := Address{
		Name:   strings.TrimSpace(parsed.Name),
		Local:  parsed.Address[:at],
		Domain: domain,
	}
	if err := a.check(); err != nil {
		return Address{}, invalid(s, err.Error())
	}
	return a, nil
}

// ParseName validates a display name given apart from the address (for
// example the second column of an import file).
func ParseName(s string) (string, error) {
	s = Clean(s)
	if err := checkChars(s); err != nil {
		return "", fault.Errorf(fault.Invalid, "name %q: %s", s, err)
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxNameLen {
		return "", fault.Errorf(fault.Invalid, "name %q: longer than %d characters", s, MaxNameLen)
	}
	return s, nil
}

func invalid(s, why string) error {
	return fault.Errorf(fault.Invalid, "invalid address %q: %s", s, why)
}

func checkChars(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("not valid UTF-8")
	}
	for _, r := range s {
		if r == '\r' || r == '\n' {
			return fmt.Errorf("contains a line break")
		}
		if unicode.IsControl(r) {
			return fmt.Errorf("contains a control character")
		}
	}
	return nil
}

func (a Address) check() error {
	switch {
	case a.Local == "":
		return fmt.Errorf("empty local part")
	case len(a.Local) > MaxLocalLen:
		return fmt.Errorf("local part longer than %d octets", MaxLocalLen)
	case len(a.String()) > MaxAddressLen:
		return fmt.Errorf("longer than %d octets", MaxAddressLen)
	case utf8.RuneCountInString(a.Name) > MaxNameLen:
		return fmt.Errorf("display name longer than %d characters", MaxNameLen)
	}
	return checkDomain(a.Domain)
}

// checkDomain accepts host names that can be reached on the Internet:
// dotted labels of letters, digits and hyphens (internationalised labels are
// allowed as UTF-8). Address literals such as [192.0.2.1] and dotless names
// such as localhost are refused: a newsletter has no business mailing them.
func checkDomain(d string) error {
	switch {
	case d == "":
		return fmt.Errorf("empty domain")
	case strings.HasPrefix(d, "["):
		return fmt.Errorf("address literals like %s are not accepted", d)
	case len(d) > MaxDomainLen:
		return fmt.Errorf("domain longer than %d octets", MaxDomainLen)
	case !strings.Contains(d, "."):
		return fmt.Errorf("domain %q has no dot", d)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" {
			return fmt.Errorf("domain %q has an empty label", d)
		}
		if len(label) > MaxLabelLen {
			return fmt.Errorf("domain label %q longer than %d octets", label, MaxLabelLen)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("domain label %q starts or ends with a hyphen", label)
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return fmt.Errorf("domain %q contains %q", d, r)
			}
		}
	}
	return nil
}

// reasonFor turns net/mail's terse errors into something a list owner can act on.
func reasonFor(s string, err error) string {
	switch {
	case !strings.Contains(s, "@"):
		return "missing @domain"
	case strings.Count(s, "<") != strings.Count(s, ">"):
		return "unbalanced angle brackets"
	case strings.ContainsAny(s, " \t") && !strings.Contains(s, "<"):
		return "contains spaces (put a display name before <address>)"
	}
	return strings.TrimPrefix(err.Error(), "mail: ")
}
