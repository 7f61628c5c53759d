package roster

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// statusColumns is where each format keeps its status, by the name the
// tool writes (a yes/no flag for Ghost and Substack): the column a value
// mailer does not know is put into. Mailchimp has none (its files say it
// by name and by UNSUB_TIME/CLEAN_TIME); Mailman's lists carry none.
var statusColumns = map[string]string{
	"buttondown-subscribers.csv": "subscriber_type", "kit-subscribers.csv": "state",
	"beehiiv-subscribers.csv": "status", "sendy-subscribers.csv": "Status",
	"mailerlite-subscribers.csv": "Status", "listmonk-subscribers.csv": "status",
	"ghost-members.csv": "subscribed_to_emails", "substack-email-list.csv": "email_disabled",
	"real/beehiiv/members.csv": "status", "real/ghost/member-csv-export.csv": "subscribed_to_emails",
	"real/substack/fixtures_signup_emails.csv": "email_disabled",
}

// csvFile is a file read with encoding/csv, apart from the parser.
func csvFile(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

func writeCSV(recs [][]string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.WriteAll(recs)
	return b.String()
}

// TestUnknownStatusInEveryFormat: in each format's file, a status value
// mailer does not know (in its status column, or a flag neither true nor
// false) makes that one line a problem naming the value; the other lines
// read as before and nobody is made active by it.
func TestUnknownStatusInEveryFormat(t *testing.T) {
	for name, col := range statusColumns {
		path := filepath.Join("testdata", name)
		recs := csvFile(t, path)
		before := readPath(t, path, Hints{})
		at := -1
		for i, h := range recs[0] {
			if h == col {
				at = i
			}
		}
		if at < 0 || len(recs) < 3 {
			t.Fatalf("%s: no column %q", name, col)
		}
		recs[2][at] = "frobnicated"
		f, err := ReadWith(strings.NewReader(writeCSV(recs)), Hints{})
		if err != nil {
			t.Fatal(err)
		}
		if f.Format != before.Format || len(f.Problems) != len(before.Problems)+1 || len(f.Rows) != len(before.Rows)-1 {
			t.Errorf("%s: %q, %d rows (was %d), problems %+v", name, f.Format, len(f.Rows), len(before.Rows), f.Problems)
			continue
		}
		p := f.Problems[len(f.Problems)-1]
		for _, q := range f.Problems {
			if q.Line == 3 {
				p = q
			}
		}
		if p.Line != 3 || !strings.Contains(p.Reason, `"frobnicated"`) {
			t.Errorf("%s: problem %+v, want line 3 naming the value", name, p)
		}
	}
}

// headered are the files of each format with a header: every fixture
// (the code-built ones among them) and every real export.
func headered() []string {
	var out []string
	for name := range fixtureWant {
		if !strings.Contains(name, "/old-") {
			out = append(out, name)
		}
	}
	for _, x := range realExports {
		out = append(out, "real/"+x.path)
	}
	return out
}

// same reports whether g holds f's members with f's statuses and names.
func same(f, g *File) bool {
	if len(f.Rows) != len(g.Rows) || len(f.Problems) != len(g.Problems) || f.Format != g.Format {
		return false
	}
	for i, r := range f.Rows {
		s := g.Rows[i]
		if r.Address != s.Address || r.Status != s.Status {
			return false
		}
	}
	return true
}

// TestLineEndsAndSpansInEveryFormat: each format's file read with CR-only
// line ends, and with a quoted field spanning two lines in its first
// full record, gives the same members, statuses and names.
func TestLineEndsAndSpansInEveryFormat(t *testing.T) {
	for _, name := range headered() {
		path := filepath.Join("testdata", name)
		want := readPath(t, path, Hints{Name: filepath.Base(path)})
		b, _ := os.ReadFile(path)
		cr := strings.NewReplacer("\r\n", "\r", "\n", "\r").Replace(string(b))
		f, err := ReadWith(strings.NewReader(cr), Hints{Name: filepath.Base(path)})
		if err != nil || !same(want, f) {
			t.Errorf("%s with CR line ends: %+v %v", name, f, err)
		}
		recs := csvFile(t, path)
		col, row := spanColumn(recs[0]), 1
		for row < len(recs)-1 && len(recs[row]) != len(recs[0]) {
			row++ // a ragged row stays as it is (Ghost's own test file has one)
		}
		recs[row][col] = "one line\nand another"
		g, err := ReadWith(strings.NewReader(writeCSV(recs)), Hints{Name: filepath.Base(path)})
		if err != nil || !same(want, g) {
			t.Errorf("%s with a field over two lines (column %q): %+v %v", name, recs[0][col], g, err)
		}
	}
}

// spanColumn is the last column that says nothing of who or what the
// member is (no address, name, status, flag or "left at" date).
func spanColumn(header []string) int {
	skip := map[string]bool{}
	for _, l := range [][]string{emailNames, nameNames, firstNames, lastNames, statusNames,
		{"state", "subscribed to emails", "email disabled", "unsub time", "clean time", "unsubscribed at", "deleted at"}} {
		for _, n := range l {
			skip[n] = true
		}
	}
	for i := len(header) - 1; i >= 0; i-- {
		if !skip[norm(header[i])] {
			return i
		}
	}
	return 0
}
