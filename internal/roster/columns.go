package roster

import (
	"fmt"
	"strings"

	"mailer/internal/address"
	"mailer/internal/store"
)

// columns says where a file keeps what.
type columns struct {
	format              string
	sep                 rune
	email, name, status int // -1: not in the file
	width               int // fields a row has; 0: any
}

// Header names, as mailer, Mailman, listmonk and spreadsheets write them.
var (
	emailNames  = []string{"email", "e-mail", "email address", "e-mail address", "mail", "address", "emailaddress", "subscriber"}
	nameNames   = []string{"name", "display_name", "display name", "full name", "fullname", "real name", "realname"}
	statusNames = []string{"status", "subscription status", "subscription_status", "state"}
)

// detect reads the first line: a header (the columns by name) or the first
// member (address[,name]). The separator is a comma, or a semicolon or tab
// when the line has those and no comma (spreadsheets in many locales).
func detect(line string) (*columns, bool) {
	sep := ','
	if !strings.Contains(line, ",") {
		switch {
		case strings.Contains(line, ";"):
			sep = ';'
		case strings.Contains(line, "\t"):
			sep = '\t'
		}
	}
	c := &columns{format: "address list", sep: sep, email: 0, name: 1, status: -1}
	rec, err := splitFields(line, sep)
	if err != nil {
		return c, false
	}
	h := &columns{sep: sep, email: -1, name: -1, status: -1, width: len(rec)}
	for i, f := range rec {
		f = strings.ToLower(strings.TrimSpace(f))
		switch {
		case h.email < 0 && in(f, emailNames):
			h.email = i
		case h.name < 0 && in(f, nameNames):
			h.name = i
		case h.status < 0 && in(f, statusNames):
			h.status = i
		}
	}
	if h.email < 0 {
		return c, false
	}
	h.format = "csv with header"
	switch {
	case strings.Join(rec, ",") == "email,name,status,source,subscribed_at,updated_at":
		h.format = "mailer"
	case len(rec) > 1 && strings.EqualFold(rec[0], "uuid"):
		h.format = "listmonk"
	}
	return h, true
}

func in(s string, names []string) bool {
	for _, n := range names {
		if s == n {
			return true
		}
	}
	return false
}

// row reads one member line.
func (c *columns) row(n int, line string) (Row, error) {
	if t := strings.TrimSpace(line); c.width == 0 && strings.HasSuffix(t, ">") && strings.Contains(t, "<") {
		// "Name <address>", as Mailman's member lists write it; the name
		// may hold commas and quotes.
		a, err := address.Parse(t)
		return Row{Line: n, Address: a, Status: store.Active}, err
	}
	rec, err := splitFields(line, c.sep)
	if err != nil {
		return Row{}, err
	}
	if c.width > 0 && len(rec) != c.width {
		return Row{}, fmt.Errorf("%d columns, the header has %d", len(rec), c.width)
	}
	if c.width == 0 && len(rec) > 2 {
		return Row{}, fmt.Errorf("%d columns and no header row: give the file a header such as email,name,status", len(rec))
	}
	a, err := address.Parse(rec[c.email])
	if err != nil {
		return Row{}, err
	}
	if c.name >= 0 && c.name < len(rec) && strings.TrimSpace(rec[c.name]) != "" {
		if a.Name, err = address.ParseName(unSafe(rec[c.name])); err != nil {
			return Row{}, err
		}
	}
	st := store.Active
	if c.status >= 0 {
		if st, err = status(rec[c.status]); err != nil {
			return Row{}, err
		}
	}
	return Row{Line: n, Address: a, Status: st}, nil
}

// status maps the status words of mailer, Mailman and listmonk.
func status(s string) (store.Status, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "active", "enabled", "subscribed", "confirmed", "member":
		return store.Active, nil
	case "unsubscribed", "blocklisted", "blacklisted", "unsubscribe", "opted out", "opted-out", "removed":
		return store.Unsubscribed, nil
	case "bounced", "bouncing", "by_bounces", "bounce":
		return store.Bounced, nil
	case "disabled", "nomail", "held", "suspended", "by_moderator", "by_user", "by_owner":
		return store.Disabled, nil
	case "pending", "unconfirmed", "unconfirmed_email":
		return store.Pending, nil
	}
	return "", fmt.Errorf("unknown status %q (want active, unsubscribed, bounced, disabled or pending)", s)
}

// unSafe undoes the quote that exports (mailer's, spreadsheets') put
// before a value a spreadsheet would run as a formula.
func unSafe(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}
