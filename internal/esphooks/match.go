package esphooks

import (
	"strings"

	"mailer/internal/listaddr"
)

// Origin is what an event's echoes say of the message mailer sent.
type Origin struct {
	List   string // the list the message was sent for, if known
	Member string // the reader the VERP return path names, if any
	Token  string // the per-member unsubscribe token of List-Unsubscribe, if any
}

// Locate reads the echoes of ev with b: the return path
// LIST-bounces+alice=example.org@HOST, and List-Unsubscribe's
// <BASE/u/TOKEN> or <mailto:LIST-unsubscribe+TOKEN@HOST> (RFC 2369). What is
// not ours is ignored: a relay that rewrites the envelope sender (Postmark,
// SendGrid) leaves only the recipient and the token.
func Locate(b listaddr.Book, ev Event) Origin {
	var o Origin
	if rt, err := b.Parse(ev.ReturnPath); ev.ReturnPath != "" && err == nil && rt.Kind == listaddr.KindBounce {
		o.List, o.Member = rt.List, rt.VERP
	}
	for _, part := range strings.Split(ev.ListUnsubscribe, ",") {
		v := strings.Trim(strings.TrimSpace(part), "<>")
		if mail, ok := strings.CutPrefix(v, "mailto:"); ok {
			mail, _, _ = strings.Cut(mail, "?")
			if rt, err := b.Parse(mail); err == nil && rt.Kind == listaddr.KindTokenUnsubscribe {
				if o.Token == "" {
					o.Token = rt.Token
				}
				if o.List == "" {
					o.List = rt.List
				}
			}
			continue
		}
		if pg, err := b.ParseURL(v); err == nil && pg.Kind == listaddr.PageUnsubscribe && o.Token == "" {
			o.Token = pg.Token
		}
	}
	return o
}
