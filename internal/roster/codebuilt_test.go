package roster

import (
	"path/filepath"
	"strings"
	"testing"

	"mailer/internal/store"
)

// sendyStatus is Sendy's own rule (includes/subscribers/export-csv.php,
// Sendy with its GDPR column): Status is "Active" unless the subscriber bounced,
// complained, unsubscribed or never confirmed, checked in that order; only
// Active is mailed by a campaign to the list.
func sendyStatus(f fields) store.Status {
	return map[string]store.Status{"Active": store.Active, "Bounced": store.Bounced, "Marked as spam": store.Complained,
		"Unsubscribed": store.Unsubscribed, "Unconfirmed": store.Pending}[f("Status")]
}

// codeBuilt are exports of tools of which no real file is published: each is
// written to the byte as the tool's export code writes one (testdata/README
// names the code), with made-up people, and checked as the real ones are.
var codeBuilt = []realExport{
	{"sendy-subscribers.csv", "sendy", []string{"Name"}, sendyStatus},
}

func TestCodeBuiltExports(t *testing.T) {
	for _, x := range codeBuilt {
		path := filepath.Join("testdata", x.path)
		width, recs := records(t, path)
		for _, name := range []string{filepath.Base(path), ""} {
			f := readPath(t, path, Hints{Name: name})
			if f.Format != x.format || f.Data != len(recs) || len(f.Rows) != len(recs) {
				t.Errorf("%s: read as %q, %d of %d records, problems %+v", x.path, f.Format, len(f.Rows), len(recs), f.Problems)
			}
			checkRecords(t, x, width, recs, f)
		}
	}
}

// TestSendyEvidence: Sendy's join date, opt-in method, sign-up page and IP
// are the consent kept in the audit log; its "No data" where it has no IP
// is no IP. An older Sendy export is "Name","Email" without a header.
func TestSendyEvidence(t *testing.T) {
	f := readPath(t, "testdata/sendy-subscribers.csv", Hints{})
	anne, bart, dora := f.Rows[0], f.Rows[2], f.Rows[4]
	if anne.Consent != "joined 2021/03/04, 10:00AM, opt-in method Double opt-in, IP 192.0.2.21, signed up from https://example.com/join" ||
		anne.IP != "192.0.2.21" {
		t.Errorf("anne: consent %q ip %q", anne.Consent, anne.IP)
	}
	if bart.IP != "" || strings.Contains(bart.Consent, "No data") {
		t.Errorf("bart: consent %q ip %q", bart.Consent, bart.IP)
	}
	if dora.IP != "2001:db8::17" {
		t.Errorf("dora: ip %q", dora.IP)
	}
	g := readPath(t, "testdata/sendy/old-quoted/newsletter-unsubscribed.csv", Hints{Name: "newsletter-unsubscribed.csv"})
	if len(g.Rows) != 2 || g.Rows[1].Address.Name != "Cris Person" || g.Rows[1].Address.String() != "cris@example.net" {
		t.Fatalf("old Sendy: %+v", g)
	}
	// An unquoted name with a comma (the oldest Sendy wrote names as they
	// are) is three fields: a problem on its line, never a guess.
	h := read(t, "Dora,dora@example.net\nPerson, Eli,eli@example.org\n")
	if len(h.Rows) != 1 || len(h.Problems) != 1 || h.Problems[0].Line != 2 {
		t.Fatalf("comma in an unquoted name: %+v", h)
	}
}

// TestOldSendyAllIsRefused: an older Sendy's LIST-all.csv ("Name","Email"
// lines of everyone on the list, with no status) would make the people who
// left active: every line is a problem, unless --status says what they are.
func TestOldSendyAllIsRefused(t *testing.T) {
	path := "testdata/sendy/old-quoted/newsletter-all.csv"
	f := readPath(t, path, Hints{Name: "newsletter-all.csv"})
	if len(f.Rows) != 0 || len(f.Problems) != 3 || !strings.Contains(f.Problems[0].Reason, "LIST-all.csv has everyone") {
		t.Fatalf("%+v", f)
	}
	g := readPath(t, path, Hints{Name: "newsletter-all.csv", Status: store.Unsubscribed})
	if len(g.Rows) != 3 || len(g.Problems) != 0 || g.Rows[0].Status != store.Unsubscribed || g.Rows[0].Address.Name != "Anne Person" {
		t.Fatalf("--status unsubscribed: %+v", g)
	}
	// The same lines under another name are a plain list of members.
	if h := readPath(t, path, Hints{Name: "friends.csv"}); len(h.Rows) != 3 {
		t.Fatalf("friends.csv: %+v", h)
	}
}
