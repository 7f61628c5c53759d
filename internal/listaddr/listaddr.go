// Package listaddr is the one place that builds and parses the mail
// addresses of mailer's lists (LIST@, LIST-request@, LIST-bounces+VERP@,
// LIST-unsubscribe+TOKEN@, LIST-confirm+CODE@, majordomo@, the site's
// mailer-bounces@ and complaints@) and its public
// URLs (/u/TOKEN, /confirm/CODE, /subscribe/LIST, /archive/LIST/SLUG). It
// takes plain values, never store types, so every package may use it.
package listaddr

import (
	"net/url"
	"strings"

	"mailer/internal/address"
)

// Book holds what every address and URL is built from.
type Book struct {
	Host    string   // the list domain: LIST@Host
	BaseURL string   // the public web address, without a trailing slash
	Aliases []string // local parts answering like majordomo@; the first is written from
}

// New returns a Book; a trailing slash on baseURL is dropped, and the
// command address defaults to majordomo@.
func New(host, baseURL string, aliases []string) Book {
	if len(aliases) == 0 {
		aliases = []string{"majordomo"}
	}
	return Book{Host: host, BaseURL: strings.TrimRight(baseURL, "/"), Aliases: aliases}
}

// Per-list suffixes of the local part. A list name must not end in one of
// them, or LIST-request@ of list "x" and the list "x-request" would clash.
const (
	suffixRequest     = "-request"
	suffixSubscribe   = "-subscribe"
	suffixJoin        = "-join"
	suffixUnsubscribe = "-unsubscribe"
	suffixLeave       = "-leave"
	suffixConfirm     = "-confirm"
	suffixBounces     = "-bounces"
	suffixOwner       = "-owner"
	suffixAdmin       = "-admin"
)

// ReservedSuffixes are the endings a list name may not have.
var ReservedSuffixes = []string{suffixRequest, suffixBounces, suffixConfirm, suffixSubscribe, suffixUnsubscribe,
	suffixJoin, suffixLeave, suffixOwner, suffixAdmin}

func (b Book) at(local string) string { return local + "@" + b.Host }

// Commands is majordomo@HOST, where commands for every list go.
func (b Book) Commands() string { return b.at(b.Aliases[0]) }

// LoopMark is the X-Loop value of mailer's own automatic mail.
func (b Book) LoopMark() string { return b.at("mailer") }

// Postmaster is where questions go when nobody else is named.
func (b Book) Postmaster() string { return b.at("postmaster") }

// SiteBounces is the envelope sender of mail that is about no list.
// Mail to it is bounce processing, never answered.
func (b Book) SiteBounces() string { return b.at(localSiteBounces) }

// Complaints is the address owners register with the mailbox providers'
// feedback loops (Yahoo CFL, Microsoft JMRP, AOL, ...): their spam
// complaints (ARF reports, RFC 5965) come here. Never answered.
func (b Book) Complaints() string { return b.at(localComplaints) }

// Local parts of the site's own robot addresses.
const (
	localSiteBounces = "mailer-bounces"
	localComplaints  = "complaints"
)

// Post is the list's own address (announce-only: posts are refused).
func (b Book) Post(list string) string { return b.at(list) }

// ListID is the RFC 2919 List-Id identifier, without its phrase.
func (b Book) ListID(list string) string { return list + "." + b.Host }

// Request is LIST-request@HOST, for commands about the list.
func (b Book) Request(list string) string { return b.at(list + suffixRequest) }

// Subscribe is LIST-subscribe@HOST: a mail there asks to join.
func (b Book) Subscribe(list string) string { return b.at(list + suffixSubscribe) }

// Unsubscribe is LIST-unsubscribe@HOST: a mail there asks to leave.
func (b Book) Unsubscribe(list string) string { return b.at(list + suffixUnsubscribe) }

// Bounces is LIST-bounces@HOST, the envelope sender of the list's mail.
func (b Book) Bounces(list string) string { return b.at(list + suffixBounces) }

// VERP is the envelope sender that names the recipient, so that a bounce
// says who bounced even when its text does not:
// LIST-bounces+alice=example.org@HOST, the domain as A-labels. A recipient
// whose local part would need quoting, or is not ASCII, gets the plain
// bounce address: the envelope sender must not need SMTPUTF8.
func (b Book) VERP(list, rcpt string) string {
	local, domain, ok := strings.Cut(address.Wire(rcpt), "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(local, "\"\\ @") || !ascii(local) {
		return b.Bounces(list)
	}
	return b.at(list + suffixBounces + "+" + local + "=" + domain)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Confirm is LIST-confirm+CODE@HOST: replying to a confirmation request
// confirms it.
func (b Book) Confirm(list, code string) string { return b.at(list + suffixConfirm + "+" + code) }

// TokenUnsubscribe is LIST-unsubscribe+TOKEN@HOST, the List-Unsubscribe
// mailto: a mail there leaves at once.
func (b Book) TokenUnsubscribe(list, token string) string {
	return b.at(list + suffixUnsubscribe + "+" + token)
}

// Paths of the public pages, as the web server routes them.
const (
	UnsubscribePath = "/u/"
	ConfirmPath     = "/confirm/"
	SubscribePath   = "/subscribe/"
	ArchivePath     = "/archive/"
)

// UnsubscribeURL is the page (and RFC 8058 one-click target) for token.
func (b Book) UnsubscribeURL(token string) string { return b.BaseURL + UnsubscribePath + token }

// AppendUnsubscribeURL appends UnsubscribeURL(token) without allocating,
// for the sender's per-recipient path.
func (b Book) AppendUnsubscribeURL(dst []byte, token string) []byte {
	dst = append(dst, b.BaseURL...)
	dst = append(dst, UnsubscribePath...)
	return append(dst, token...)
}

// AppendTokenUnsubscribe appends TokenUnsubscribe(list, token) without
// allocating.
func (b Book) AppendTokenUnsubscribe(dst []byte, list, token string) []byte {
	dst = append(dst, list...)
	dst = append(dst, suffixUnsubscribe+"+"...)
	dst = append(dst, token...)
	dst = append(dst, '@')
	return append(dst, b.Host...)
}

// ConfirmURL is the page that confirms code.
func (b Book) ConfirmURL(code string) string { return b.BaseURL + ConfirmPath + code }

// SubscribeURL is the list's subscribe form.
func (b Book) SubscribeURL(list string) string {
	return b.BaseURL + SubscribePath + url.PathEscape(list)
}

// ArchiveURL is an issue in the archive, or the list's archive when slug
// is empty, or the archive of every list when list is empty too.
func (b Book) ArchiveURL(list, slug string) string {
	u := b.BaseURL + ArchivePath
	if list == "" {
		return u
	}
	return u + url.PathEscape(list) + "/" + url.PathEscape(slug)
}
