package inbound

import (
	"strings"

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
	KindConfirm                          // LIST-confirm+TOKEN@
	KindTokenUnsubscribe                 // LIST-unsubscribe+TOKEN@ (the List-Unsubscribe mailto)
	KindBounce                           // LIST-bounces[+VERP]@
	KindPost                             // LIST@: announce-only, refused
)

// Route is a parsed recipient.
type Route struct {
	Kind  Kind
	List  string // empty for KindCommands
	Token string // KindConfirm, KindTokenUnsubscribe
	VERP  string // KindBounce: the reader the bounce names, if any
}

var suffixes = []struct {
	suffix string
	kind   Kind
}{
	{"-request", KindRequest}, {"-subscribe", KindSubscribe}, {"-join", KindSubscribe},
	{"-unsubscribe", KindUnsubscribe}, {"-leave", KindUnsubscribe}, {"-confirm", KindConfirm}, {"-bounces", KindBounce},
}

// ParseRoute reads a recipient address of ours. It does not check that the
// list exists. An address that is not ours is a fault.NotFound.
func ParseRoute(rcpt, host string, aliases []string) (Route, error) {
	rcpt = strings.Trim(strings.TrimSpace(rcpt), "<>")
	at := strings.LastIndexByte(rcpt, '@')
	if at < 0 || !strings.EqualFold(rcpt[at+1:], host) {
		return Route{}, fault.Errorf(fault.NotFound, "%s is not an address of %s", rcpt, host)
	}
	local := strings.ToLower(rcpt[:at])
	base, ext, hasExt := strings.Cut(local, "+")
	for _, a := range aliases {
		if base == strings.ToLower(a) && !hasExt {
			return Route{Kind: KindCommands}, nil
		}
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
			// LIST-request+x@ and a confirm address without its token are nobody.
			return Route{}, fault.Errorf(fault.NotFound, "%s is not an address of %s", rcpt, host)
		}
		return r, nil
	}
	if hasExt {
		return Route{}, fault.Errorf(fault.NotFound, "%s is not an address of %s", rcpt, host)
	}
	return Route{Kind: KindPost, List: base}, nil
}

// verpAddress decodes LIST-bounces+alice=example.org into alice@example.org.
func verpAddress(local string) string {
	_, ext, ok := strings.Cut(local, "+")
	if !ok {
		return ""
	}
	i := strings.LastIndexByte(ext, '=')
	if i <= 0 || i == len(ext)-1 {
		return ""
	}
	return ext[:i] + "@" + ext[i+1:]
}
