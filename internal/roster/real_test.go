package roster

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mailer/internal/store"
)

// fields gives a record's value by its header name, as the tool's own
// importer reads it ("" when the file has no such column).
type fields func(column string) string

// realExport is one file in testdata/real (testdata/README says where each
// comes from) and what the tool that wrote it does with each member. The
// status functions state each tool's documented meaning of its own
// columns, apart from the parser's tables, so that the parser is checked
// against the tool and not against itself.
type realExport struct {
	path   string
	format string   // what Read must call it
	names  []string // the name columns, joined as the tool joins them
	status func(fields) store.Status
}

// mailchimpStatus: Mailchimp's audience export is one file per status;
// the unsubscribed file carries UNSUB_TIME, the cleaned one (hard bounces,
// addresses Mailchimp no longer mails) CLEAN_TIME. Ghost's migrate
// (mg-mailchimp-members/src/lib/process.ts) reads UNSUB_TIME the same way.
func mailchimpStatus(f fields) store.Status {
	switch {
	case f("CLEAN_TIME") != "":
		return store.Bounced
	case f("UNSUB_TIME") != "":
		return store.Unsubscribed
	}
	return store.Active
}

// substackStatus: email_disabled true gets no email; any other value
// does (mg-substack-members-csv/lib/process.js: email_disabled === 'true'
// ? not subscribed : subscribed).
func substackStatus(f fields) store.Status {
	if f("email_disabled") == "true" {
		return store.Unsubscribed
	}
	return store.Active
}

// beehiivStatus: only status active is mailed, inactive is unsubscribed,
// pending never confirmed; a filled unsubscribed_at is not mailed
// whatever the status (mg-beehiiv-members/src/lib/process.ts drops those
// rows, and inactive ones, before mapping active to subscribed).
func beehiivStatus(f fields) store.Status {
	if f("unsubscribed_at") != "" {
		return store.Unsubscribed
	}
	return map[string]store.Status{"active": store.Active, "inactive": store.Unsubscribed, "pending": store.Pending}[f("status")]
}

// ghostStatus: a new member is subscribed only when subscribed_to_emails
// is true; false, null and empty create them unsubscribed (Ghost's
// members-importer test, "should subscribe or unsubscribe members as per
// the subscribe_to_emails column", cases 9 to 12).
func ghostStatus(f fields) store.Status {
	if f("subscribed_to_emails") == "true" {
		return store.Active
	}
	return store.Unsubscribed
}

// plainList: a file with no status of any tool is a list of members to
// mail, as mailer reads any CSV with a header and no status column.
func plainList(fields) store.Status { return store.Active }

var realExports = []realExport{
	{"mailchimp/subscribed.csv", "mailchimp", []string{"First Name", "Last Name"}, mailchimpStatus},
	{"mailchimp/unsubscribed.csv", "mailchimp", []string{"First Name", "Last Name"}, mailchimpStatus},
	{"mailchimp/cleaned.csv", "mailchimp", []string{"First Name", "Last Name"}, mailchimpStatus},
	{"substack/fixtures_subscriber_emails.csv", "substack", nil, substackStatus},
	{"substack/fixtures_signup_emails.csv", "substack", nil, substackStatus},
	{"beehiiv/members.csv", "beehiiv", []string{"First Name", "Last Name"}, beehiivStatus},
	{"ghost/member-csv-export.csv", "ghost", []string{"name"}, ghostStatus},
	{"ghost/subscribed-to-emails-cases.csv", "ghost", []string{"name"}, ghostStatus},
	{"ghost/valid-members-import.csv", "ghost", []string{"name"}, ghostStatus},
	{"ghost/members-ragged-row.csv", "csv with header", []string{"name"}, plainList},
	{"listmonk/subs.csv", "csv with header", []string{"name"}, plainList},
	{"listmonk/subs-domain-blocklist.csv", "csv with header", []string{"name"}, plainList},
	{"curated/subscribers.csv", "csv with header", nil, plainList},
}

// csvRecord is one CSV record of a real file, read with encoding/csv and not
// with the parser under test.
type csvRecord struct {
	line   int
	fields fields
	width  int
}

// records reads path with encoding/csv: the header's width and every
// record after it with the line it starts on.
func records(t *testing.T, path string) (int, []csvRecord) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	cr := csv.NewReader(fh)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		t.Fatalf("%s: header: %v", path, err)
	}
	var recs []csvRecord
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return len(header), recs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		line, _ := cr.FieldPos(0)
		recs = append(recs, csvRecord{line: line, width: len(rec), fields: byName(header, rec)})
	}
}

func byName(header, rec []string) fields {
	return func(column string) string {
		for i, h := range header {
			if h == column && i < len(rec) {
				return rec[i]
			}
		}
		return ""
	}
}

// emailOf is the record's address column, as each tool names it.
func emailOf(f fields) string {
	for _, c := range []string{"email", "Email Address", "Email"} {
		if v := f(c); v != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// unreadable is what no importer can take: a row narrower than its header
// or an address without "@domain.tld" (RFC 5321 section 4.1.2 needs the
// domain; mailer mails no dotless one).
func unreadable(width int, r csvRecord) bool {
	addr := emailOf(r.fields)
	at := strings.LastIndexByte(addr, '@')
	return r.width != width || at < 0 || !strings.Contains(addr[at+1:], ".")
}

// TestRealExports reads each real export and checks every record: the
// format is the tool's, each valid row is read with the tool's status and
// the name the tool keeps, each unreadable one is a Problem on its line,
// and nobody the tool would not mail comes out active.
func TestRealExports(t *testing.T) {
	for _, x := range realExports {
		path := filepath.Join("testdata", "real", x.path)
		width, recs := records(t, path)
		if len(recs) == 0 {
			t.Fatalf("%s: no records", x.path)
		}
		// Once as the command reads it (with the file's name), once
		// without: the columns alone must say the same.
		for _, name := range []string{filepath.Base(path), ""} {
			f := readPath(t, path, Hints{Name: name})
			if f.Format != x.format {
				t.Errorf("%s: read as %q, want %q", x.path, f.Format, x.format)
			}
			if f.Data != len(recs) || len(f.Rows)+len(f.Problems)+len(f.Repeats) != len(recs) {
				t.Errorf("%s: %d records, read %d (%d rows, %d problems, %d repeats)",
					x.path, len(recs), f.Data, len(f.Rows), len(f.Problems), len(f.Repeats))
			}
			checkRecords(t, x, width, recs, f)
		}
	}
}

func checkRecords(t *testing.T, x realExport, width int, recs []csvRecord, f *File) {
	t.Helper()
	rows, problems := map[int]Row{}, map[int]string{}
	for _, r := range f.Rows {
		rows[r.Line] = r
	}
	for _, p := range f.Problems {
		problems[p.Line] = p.Reason
	}
	for _, rec := range recs {
		r, read := rows[rec.line]
		if unreadable(width, rec) {
			if _, ok := problems[rec.line]; !ok || read {
				t.Errorf("%s:%d: %q should be a problem on its line; problems %v", x.path, rec.line, emailOf(rec.fields), problems)
			}
			continue
		}
		if !read {
			t.Errorf("%s:%d: %q not read (problem %q)", x.path, rec.line, emailOf(rec.fields), problems[rec.line])
			continue
		}
		want := x.status(rec.fields)
		if want == "" {
			t.Fatalf("%s:%d: the test's table has no meaning for this row", x.path, rec.line)
		}
		if r.Status != want || (want != store.Active && r.Status == store.Active) {
			t.Errorf("%s:%d: %s is %s, the tool's status is %s", x.path, rec.line, r.Address, r.Status, want)
		}
		if !strings.EqualFold(r.Address.String(), emailOf(rec.fields)) {
			t.Errorf("%s:%d: address %q, the file has %q", x.path, rec.line, r.Address, emailOf(rec.fields))
		}
		if name := joinNames(rec.fields, x.names); r.Address.Name != name {
			t.Errorf("%s:%d: name %q, the file has %q", x.path, rec.line, r.Address.Name, name)
		}
	}
}

// joinNames joins the name columns' trimmed values with one space, as
// Ghost's migrate joins Mailchimp's and beehiiv's First and Last Name.
func joinNames(f fields, columns []string) string {
	var parts []string
	for _, c := range columns {
		if v := strings.TrimSpace(f(c)); v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}

func readPath(t *testing.T, path string, h Hints) *File {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := ReadWith(fh, h)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
