package address

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// invisible are characters that change an address without showing: the
// byte-order mark a spreadsheet puts before the first cell, zero-width
// spaces and joiners pasted from web pages, the soft hyphen. Left in, they
// make one person two members.
var invisible = strings.NewReplacer("\uFEFF", "", "\u200B", "", "\u200C", "", "\u200D", "", "\u2060", "", "\u00AD", "")

// Clean removes invisible characters, trims white space and puts the text
// in Unicode NFC, so that the same address typed on two systems compares
// equal. Invalid UTF-8 is left for the validation to refuse.
func Clean(s string) string {
	if !utf8.ValidString(s) {
		return s
	}
	return norm.NFC.String(strings.TrimSpace(invisible.Replace(s)))
}

// profile maps and checks domain names as mail systems look them up
// (IDNA2008 with the UTS #46 mapping: lower case, width folding).
var profile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false))

// unicodeDomain returns the domain as it is stored and shown: lower case,
// internationalised labels in Unicode (an A-label given as xn--... is
// turned back), so that exämple.org and xn--exmple-cua.org are one domain.
func unicodeDomain(d string) (string, error) {
	d = strings.ToLower(d)
	if isASCII(d) && !strings.Contains(d, "xn--") {
		return d, nil
	}
	u, err := profile.ToUnicode(d)
	if err != nil {
		return "", fmt.Errorf("domain %q is not a valid internationalised name: %v", d, err)
	}
	return u, nil
}

// ASCIIDomain is the domain as it goes out in SMTP and headers: labels in
// A-label (xn--) form.
func (a Address) ASCIIDomain() (string, error) {
	if isASCII(a.Domain) {
		return a.Domain, nil
	}
	d, err := profile.ToASCII(a.Domain)
	if err != nil {
		return "", fmt.Errorf("domain %q cannot be written in ASCII: %v", a.Domain, err)
	}
	return d, nil
}

// NeedsSMTPUTF8 says whether the local part is not ASCII: such an address
// can only be sent to a server that offers SMTPUTF8 (RFC 6531).
func (a Address) NeedsSMTPUTF8() bool { return !isASCII(a.Local) }

// ForSMTP is the address as it goes in MAIL FROM or RCPT TO: the domain in
// A-labels, the local part as it is (UTF-8 needs SMTPUTF8).
func ForSMTP(addr string) (string, bool, error) {
	a, err := Parse(addr)
	if err != nil {
		return "", false, err
	}
	d, err := a.ASCIIDomain()
	if err != nil {
		return "", false, err
	}
	return quoteLocal(a.Local) + "@" + d, a.NeedsSMTPUTF8(), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Wire is how an address goes into SMTP commands and header fields: the
// domain as A-labels, so that servers and readers without internationalised
// mail support take it. A local part that is not ASCII stays UTF-8 and
// needs SMTPUTF8 (RFC 6531, 6532). Text that does not parse is returned as
// it is, for the caller's own checks to refuse.
func Wire(addr string) string {
	if isASCII(addr) {
		return addr
	}
	w, _, err := ForSMTP(addr)
	if err != nil {
		return addr
	}
	return w
}
