package roster

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"mailer/internal/address"
	"mailer/internal/store"
)

// columns says where a file keeps what.
type columns struct {
	format                   string
	sep                      rune
	email, name, first, last int // -1: not in the file
	status                   int
	width                    int // fields a row has; 0: any
	header                   []string
	words                    map[string]store.Status
	flags                    []flagAt
	marks                    []markAt
	consent                  []consentAt
	ip                       int
	fixed                    store.Status // from the file's name or --status
	// sendyAll: the file is named as Sendy names the export of a whole
	// list (LIST-all.csv); see row.
	sendyAll bool
	// statusGiven: the owner said the file's status (--status or the
	// file's name), which listmonk's export needs (see rowStatus).
	statusGiven bool
}

type flagAt struct {
	at int
	flag
}

type markAt struct {
	at     int
	status store.Status
}

type consentAt struct {
	at    int
	label string
}

// Header names (as norm gives them), as mailer, Mailman, listmonk,
// spreadsheets and the tools in formats write them.
var (
	emailNames = []string{"email", "e mail", "email address", "e mail address", "mail", "address", "emailaddress", "subscriber"}
	nameNames  = []string{"name", "display name", "full name", "fullname", "real name", "realname"}
	firstNames = []string{"first name", "firstname", "fname", "given name"}
	lastNames  = []string{"last name", "lastname", "lname", "surname", "family name"}
	// statusNames: a "state" column is taken as a status even in a file of
	// no known tool (Kit's name for it): a status missed would import
	// everyone active; a US state taken as one fails its lines, naming the
	// column, which can then be renamed.
	statusNames = []string{"status", "subscription status", "subscriber type", "subscriber status", "member status",
		"state", "subscription state"}
	// consentNames are the columns that record consent, kept in the
	// audit log: when and from where someone opted in and confirmed.
	consentNames = []struct{ column, label string }{
		{"optin time", "opted in"}, {"optin ip", "opt-in IP"}, {"confirm time", "confirmed"}, {"confirm ip", "confirm IP"},
		{"created at", "created"}, {"creation date", "created"}, {"subscription date", "subscribed"},
		{"subscribed at", "subscribed"}, {"ip address", "IP"}, {"signup ip", "sign-up IP"},
		{"unsub time", "unsubscribed"}, {"unsub reason", "unsubscribe reason"}, {"clean time", "cleaned"},
		{"unsubscribed at", "unsubscribed"},
		// Sendy's export (includes/subscribers/export-csv.php): when they
		// joined, single or double opt-in, the page they signed up from.
		{"joined", "joined"}, {"opt in method", "opt-in method"}, {"signed up from", "signed up from"},
	}
	// markNames are columns whose being filled says the member is not
	// mailed, whatever the status column says and whichever tool wrote
	// the file (one not recognised too): Mailchimp's UNSUB_TIME and
	// CLEAN_TIME (the unsubscribed and cleaned audience exports),
	// beehiiv's unsubscribed_at, Ghost's deleted_at
	// (ghost/members-csv/lib/unparse.js).
	markNames = []struct {
		column string
		status store.Status
	}{
		{"unsub time", store.Unsubscribed}, {"clean time", store.Bounced},
		{"unsubscribed at", store.Unsubscribed}, {"deleted at", store.Unsubscribed},
	}
	// ipNames give the audit log's IP column, the confirmation's first.
	ipNames = []string{"confirm ip", "optin ip", "ip address", "signup ip"}
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
	c := &columns{format: "address list", sep: sep, email: 0, name: 1, first: -1, last: -1, status: -1, ip: -1, words: genericWords}
	rec, err := splitFields(line, sep)
	if err != nil {
		return c, false
	}
	h := map[string]int{}
	for i, f := range rec {
		if _, dup := h[norm(f)]; !dup {
			h[norm(f)] = i
		}
	}
	find := func(names []string) int {
		for _, n := range names {
			if i, ok := h[n]; ok {
				return i
			}
		}
		return -1
	}
	hc := &columns{format: "csv with header", sep: sep, width: len(rec), words: genericWords, header: rec,
		email: find(emailNames), name: find(nameNames), first: find(firstNames), last: find(lastNames),
		status: find(statusNames), ip: find(ipNames)}
	if hc.email < 0 {
		return c, false
	}
	if strings.Join(rec, ",") == strings.Join(ExportHeader, ",") {
		hc.format = "mailer"
	} else {
		hc.recognise(h)
	}
	for _, cn := range consentNames {
		if i, ok := h[cn.column]; ok {
			hc.consent = append(hc.consent, consentAt{i, cn.label})
		}
	}
	// In the file's order, as the owner sees the columns.
	sort.Slice(hc.consent, func(i, j int) bool { return hc.consent[i].at < hc.consent[j].at })
	for _, m := range markNames {
		if i, ok := h[m.column]; ok {
			hc.marks = append(hc.marks, markAt{i, m.status})
		}
	}
	return hc, true
}

// recognise finds the tool that wrote the header h and takes its status
// words and flags.
func (c *columns) recognise(h map[string]int) {
	for _, f := range formats {
		if !f.is(h) {
			continue
		}
		c.format, c.words = f.name, f.words
		if i, ok := h[f.statusColumn]; ok && c.status < 0 {
			c.status = i
		}
		for _, fl := range f.flags {
			if i, ok := h[fl.column]; ok {
				c.flags = append(c.flags, flagAt{i, fl})
			}
		}
		return
	}
}

// row reads one member record.
func (c *columns) row(n int, rec []string) (Row, error) {
	if c.width > 0 && len(rec) != c.width {
		return Row{}, fmt.Errorf("%d columns, the header has %d", len(rec), c.width)
	}
	if c.width == 0 && len(rec) > 2 {
		return Row{}, fmt.Errorf("%d columns and no header row: give the file a header such as email,name,status", len(rec))
	}
	a, err := address.Parse(rec[c.email])
	if err != nil && c.width == 0 && len(rec) == 2 {
		// "Name","Email": the order of Sendy's exports before it wrote a
		// header (export-csv.php writes $name.','.$email). Taken only
		// when the first field is no address and the second is one.
		if b, e := address.Parse(rec[1]); e == nil {
			a, err, rec = b, nil, []string{rec[1], rec[0]}
			if c.sendyAll && !c.covers() {
				// That export holds everyone on the list, unsubscribed,
				// bounced and complained too, and says of nobody which.
				return Row{}, fmt.Errorf("an older Sendy's LIST-all.csv has everyone and no status: import its -active " +
					"export (and -unsubscribed, -bounced, -marked-as-spam as they are), or this one with --status")
			}
		}
	}
	if err != nil {
		return Row{}, err
	}
	if name := c.fullName(rec); name != "" {
		if a.Name, err = address.ParseName(name); err != nil {
			return Row{}, err
		}
	}
	st, err := c.rowStatus(rec)
	if err != nil {
		return Row{}, err
	}
	r := Row{Line: n, Address: a, Status: st, Consent: c.evidence(rec)}
	if c.ip >= 0 {
		r.IP = ipOf(rec[c.ip])
	}
	return r, nil
}

// fullName is the name column, or First and Last joined.
func (c *columns) fullName(rec []string) string {
	at := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(unSafe(rec[i]))
	}
	if n := at(c.name); n != "" {
		return n
	}
	return strings.TrimSpace(at(c.first) + " " + at(c.last))
}

// rowStatus is the strictest of what the status column, the flags, the
// marks and the file's name say.
func (c *columns) rowStatus(rec []string) (store.Status, error) {
	st := store.Active
	if c.status >= 0 {
		s, err := statusOf(c.words, rec[c.status], c.header[c.status])
		if err != nil && !c.covers() {
			return "", err
		}
		st = s
	}
	for _, f := range c.flags {
		v, err := yesNo(rec[f.at])
		if err != nil && !c.covers() {
			return "", fmt.Errorf("%s: %v", c.header[f.at], err)
		}
		if v == f.stopOn {
			st = stricter(st, f.status)
		}
	}
	for _, m := range c.marks {
		if strings.TrimSpace(rec[m.at]) != "" {
			st = stricter(st, m.status)
		}
	}
	st = stricter(st, c.fixed)
	if c.format == "listmonk" && st == store.Active && !c.statusGiven {
		// listmonk's export (queries.sql export-subscribers) gives the
		// subscriber's own status, never the subscription's: someone who
		// unsubscribed from the list is still "enabled". Only the owner
		// can say the export was filtered to the list's confirmed ones.
		return "", fmt.Errorf("listmonk's export says %q but not whether they are still subscribed to the list: "+
			"export the list's confirmed subscribers and import with --status active", rec[c.status])
	}
	return st, nil
}

// covers reports whether --status (or the file's name) says what everyone
// in the file is, so that a status word or flag mailer does not know takes
// that status instead of failing its line. Never when that is active: an
// unknown word is never made mailable.
func (c *columns) covers() bool { return c.fixed != "" && c.fixed != store.Active }

// evidence is the source's record of consent, for the audit log:
// "opted in 2019-03-04 10:00:00, opt-in IP 192.0.2.1".
func (c *columns) evidence(rec []string) string {
	var parts []string
	for _, ca := range c.consent {
		v := strings.TrimSpace(rec[ca.at])
		if v == "" || (strings.HasSuffix(ca.label, "IP") && ipOf(v) == "") {
			continue
		}
		parts = append(parts, ca.label+" "+v)
	}
	return strings.Join(parts, ", ")
}

// ipOf is the value when it is an IP address, else "": tools write a
// placeholder where they have none (Sendy "No data"), which is no
// evidence of where anyone opted in.
func ipOf(s string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return a.String()
}

// unSafe undoes the quote that exports (mailer's, spreadsheets') put
// before a value a spreadsheet would run as a formula.
func unSafe(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}
