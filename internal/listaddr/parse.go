package listaddr

import (
	"net/url"
	"strings"

	"mailer/internal/address"
	"mailer/internal/fault"
)

// Kind is what an address of ours is for.
type Kind int

// Kinds of recipient addresses.
const (
	KindCommands         Kind = iota + 1 // majordomo@ and its aliases
	KindRequest                          // LIST-request@: commands, LIST by default
	KindSubscribe                        // LIST-subscribe@, LIST-join@
	KindUnsubscribe                      // LIST-unsubscribe@, LIST-leave@
	KindConfirm                          // LIST-confirm+CODE@
	KindTokenUnsubscribe                 // LIST-unsubscribe+TOKEN@ (the List-Unsubscribe mailto)
	KindBounce                           // LIST-bounces[+VERP]@
	KindPost                             // LIST@: announce-only, refused
	KindSiteBounces                      // mailer-bounces@: bounces of mail about no list
	KindComplaints                       // complaints@: feedback-loop reports (ARF)
)

// Route is a parsed recipient.
type Route struct {
	Kind  Kind
	List  string // empty for KindCommands
	Token string // KindConfirm (the code), KindTokenUnsubscribe
	VERP  string // KindBounce: the reader the bounce names, if any
}

var suffixes = []struct {
	suffix string
	kind   Kind
}{
	{suffixRequest, KindRequest}, {suffixSubscribe, KindSubscribe}, {suffixJoin, KindSubscribe},
	{suffixUnsubscribe, KindUnsubscribe}, {suffixLeave, KindUnsubscribe}, {suffixConfirm, KindConfirm}, {suffixBounces, KindBounce},
}

// Parse reads a recipient address of ours. It does not check that the
// list exists. An address that is not ours is a fault.NotFound.
func (b Book) Parse(rcpt string) (Route, error) {
	rcpt = strings.Trim(strings.TrimSpace(rcpt), "<>")
	notOurs := fault.Errorf(fault.NotFound, "%s is not an address of %s", rcpt, b.Host)
	at := strings.LastIndexByte(rcpt, '@')
	if at < 0 || !strings.EqualFold(rcpt[at+1:], b.Host) {
		return Route{}, notOurs
	}
	local := strings.ToLower(rcpt[:at])
	base, ext, hasExt := strings.Cut(local, "+")
	for _, a := range b.Aliases {
		if base == strings.ToLower(a) && !hasExt {
			return Route{Kind: KindCommands}, nil
		}
	}
	switch {
	case local == localSiteBounces:
		return Route{Kind: KindSiteBounces}, nil
	case base == localComplaints:
		return Route{Kind: KindComplaints}, nil // complaints+anything@ too: some loops add a tag
	}
	for _, s := range suffixes {
		list, ok := strings.CutSuffix(base, s.suffix)
		if !ok || list == "" {
			continue
		}
		r := Route{Kind: s.kind, List: list}
		switch {
		case s.kind == KindConfirm && hasExt && ext != "":
			r.Token = ext
		case s.kind == KindUnsubscribe && hasExt && ext != "":
			r.Kind, r.Token = KindTokenUnsubscribe, ext
		case s.kind == KindBounce:
			r.VERP = verpAddress(rcpt[:at])
		case hasExt, s.kind == KindConfirm:
			// LIST-request+x@ and a confirm address without its code are nobody.
			return Route{}, notOurs
		}
		return r, nil
	}
	if hasExt {
		return Route{}, notOurs
	}
	return Route{Kind: KindPost, List: base}, nil
}

// verpAddress decodes LIST-bounces+alice=example.org into alice@example.org.
// The case of the reader's local part is kept.
func verpAddress(local string) string {
	_, ext, ok := strings.Cut(local, "+")
	if !ok {
		return ""
	}
	i := strings.LastIndexByte(ext, '=')
	if i <= 0 || i == len(ext)-1 {
		return ""
	}
	v := ext[:i] + "@" + ext[i+1:]
	if a, err := address.Parse(v); err == nil {
		return a.String() // xn-- domains back in Unicode, as members are stored
	}
	return v
}

// PageKind is which public page a URL is.
type PageKind int

// Pages.
const (
	PageUnsubscribe PageKind = iota + 1
	PageConfirm
	PageSubscribe
	PageArchive
)

// Page is a parsed public URL.
type Page struct {
	Kind        PageKind
	Token       string // PageUnsubscribe: the token; PageConfirm: the code
	List, Issue string // PageSubscribe, PageArchive
}

// ParseURL reads a URL built by this Book. A URL elsewhere, or of no page,
// is a fault.NotFound.
func (b Book) ParseURL(raw string) (Page, error) {
	notOurs := fault.Errorf(fault.NotFound, "%s is not a page of %s", raw, b.BaseURL)
	rest, ok := strings.CutPrefix(raw, b.BaseURL)
	if !ok || !strings.HasPrefix(rest, "/") {
		return Page{}, notOurs
	}
	u, err := url.Parse(rest)
	if err != nil {
		return Page{}, notOurs
	}
	p := u.Path
	one := func(prefix string) (string, bool) {
		v, ok := strings.CutPrefix(p, prefix)
		return v, ok && v != "" && !strings.Contains(v, "/")
	}
	if v, ok := one(UnsubscribePath); ok {
		return Page{Kind: PageUnsubscribe, Token: v}, nil
	}
	if v, ok := one(ConfirmPath); ok {
		return Page{Kind: PageConfirm, Token: v}, nil
	}
	if v, ok := one(SubscribePath); ok {
		return Page{Kind: PageSubscribe, List: v}, nil
	}
	if v, ok := strings.CutPrefix(p, ArchivePath); ok {
		list, issue, _ := strings.Cut(v, "/")
		if !strings.Contains(issue, "/") {
			return Page{Kind: PageArchive, List: list, Issue: issue}, nil
		}
	}
	return Page{}, notOurs
}
