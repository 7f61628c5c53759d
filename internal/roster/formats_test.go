package roster

import (
	"os"
	"strings"
	"testing"

	"mailer/internal/store"
)

// fixtureWant is what each export in testdata holds: the format it must
// be read as, and each address's status in mailer's words (every address
// whose local part starts "ok." is one the tool mails).
var fixtureWant = map[string]struct {
	format string
	status map[string]store.Status
}{
	"mailchimp/subscribed_members_export_6f1c2e.csv": {"mailchimp", map[string]store.Status{
		"ok.anne@example.com": store.Active, "ok.bart@example.org": store.Active, "ok.zoe@example.net": store.Active}},
	"mailchimp/unsubscribed_members_export_6f1c2e.csv": {"mailchimp", map[string]store.Status{
		"cris@example.net": store.Unsubscribed, "dora@example.net": store.Unsubscribed}},
	"mailchimp/cleaned_members_export_6f1c2e.csv": {"mailchimp", map[string]store.Status{"eli@example.org": store.Bounced}},
	"substack-email-list.csv": {"substack", map[string]store.Status{
		"ok.anne@example.com": store.Active, "ok.paid@example.org": store.Active, "bart@example.org": store.Unsubscribed}},
	"buttondown-subscribers.csv": {"buttondown", map[string]store.Status{
		"ok.anne@example.com": store.Active, "ok.gift@example.org": store.Active, "ok.paid@example.org": store.Active,
		"bart@example.org": store.Unsubscribed, "cris@example.net": store.Unsubscribed, "dora@example.net": store.Bounced,
		"eli@example.org": store.Pending, "fay@example.org": store.Complained}},
	"ghost-members.csv": {"ghost", map[string]store.Status{"ok.anne@example.com": store.Active, "bart@example.org": store.Unsubscribed}},
	"kit-subscribers.csv": {"kit", map[string]store.Status{
		"ok.anne@example.com": store.Active, "ok.cold@example.org": store.Active, "bart@example.org": store.Unsubscribed,
		"cris@example.net": store.Bounced, "dora@example.net": store.Complained, "eli@example.org": store.Pending}},
	"beehiiv-subscribers.csv": {"beehiiv", map[string]store.Status{
		"ok.anne@example.com": store.Active, "bart@example.org": store.Unsubscribed, "cris@example.net": store.Bounced,
		"dora@example.net": store.Pending, "eli@example.org": store.Pending}},
	"sendy-subscribers.csv": {"sendy", map[string]store.Status{
		"ok.anne@example.com": store.Active, "ok.soft@example.org": store.Active, "bart@example.org": store.Unsubscribed,
		"cris@example.net": store.Bounced, "dora@example.net": store.Complained, "eli@example.org": store.Pending}},
	// Older Sendy: no header, "Name","Email" (quoted, or not at
	// all), the segment only in the file's name.
	"sendy/old-quoted/newsletter-unsubscribed.csv": {"address list", map[string]store.Status{
		"bart@example.org": store.Unsubscribed, "cris@example.net": store.Unsubscribed}},
	"sendy/old-plain/newsletter-marked-as-spam.csv": {"address list", map[string]store.Status{
		"dora@example.net": store.Complained, "eli@example.org": store.Complained}},
	"sendy/old-plain/newsletter-active.csv": {"address list", map[string]store.Status{
		"ok.anne@example.com": store.Active, "ok.noname@example.org": store.Active}},
	"mailerlite-subscribers.csv": {"mailerlite", map[string]store.Status{
		"ok.anne@example.com": store.Active, "bart@example.org": store.Unsubscribed, "cris@example.net": store.Bounced,
		"dora@example.net": store.Complained, "eli@example.org": store.Pending}},
}

// TestToolExportsKeepTheirStatus: each tool's export is recognised by its
// header (or name) and everyone keeps the tool's status, in mailer's words.
func TestToolExportsKeepTheirStatus(t *testing.T) {
	for name, w := range fixtureWant {
		fh, err := os.Open("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := ReadWith(fh, Hints{Name: name})
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Format != w.format || len(f.Problems) != 0 || len(f.Rows) != len(w.status) {
			t.Errorf("%s: read as %q, %d rows, problems %+v", name, f.Format, len(f.Rows), f.Problems)
			continue
		}
		for _, r := range f.Rows {
			if want := w.status[r.Address.String()]; r.Status != want {
				t.Errorf("%s:%d: %s is %s, want %s", name, r.Line, r.Address, r.Status, want)
			}
			if mailable := r.Status == store.Active; mailable != strings.HasPrefix(r.Address.String(), "ok.") {
				t.Errorf("%s:%d: %s mailable %v", name, r.Line, r.Address, mailable)
			}
		}
	}
}

// TestMailchimpNamesAndConsent: First and Last Name make the name; the
// opt-in and confirmation times and IPs are the row's consent; a NOTES
// field spanning two lines of a CRLF file is read as one field.
func TestMailchimpNamesAndConsent(t *testing.T) {
	f := readFile(t, "mailchimp/subscribed_members_export_6f1c2e.csv")
	if len(f.Rows) != 3 || len(f.Problems) != 0 {
		t.Fatalf("rows %+v problems %+v", f.Rows, f.Problems)
	}
	anne, bart, zoe := f.Rows[0], f.Rows[1], f.Rows[2]
	if anne.Address.Name != "Anne Person" || bart.Address.Name != "Bart" || zoe.Address.Name != "Zoë Doe, Jr." {
		t.Errorf("names %q %q %q", anne.Address.Name, bart.Address.Name, zoe.Address.Name)
	}
	if anne.Consent != "opted in 2019-03-04 10:00:00, opt-in IP 192.0.2.10, confirmed 2019-03-04 10:02:11, confirm IP 192.0.2.10" ||
		anne.IP != "192.0.2.10" {
		t.Errorf("consent %q ip %q", anne.Consent, anne.IP)
	}
	if zoe.Line != 5 {
		t.Errorf("the line after a two-line field is %d, want 5", zoe.Line)
	}
	// Without its name, the unsubscribed file still says so by its columns.
	fh, _ := os.Open("testdata/mailchimp/unsubscribed_members_export_6f1c2e.csv")
	defer fh.Close()
	g, err := ReadWith(fh, Hints{Name: "-"})
	if err != nil || len(g.Rows) != 2 || g.Rows[0].Status != store.Unsubscribed ||
		!strings.Contains(g.Rows[0].Consent, "unsubscribe reason I no longer want") {
		t.Fatalf("%+v %v", g, err)
	}
}

// TestFilesThatMustNotReadAsNobody: a CR-only file is read line by line,
// a status mailer does not know names its line, --status and the file's
// name only ever stop more mail.
func TestFilesThatMustNotReadAsNobody(t *testing.T) {
	f := read(t, "email,name,status\rann@example.org,Ann,active\rbo@example.org,Bo,unsubscribed\r")
	if len(f.Rows) != 2 || f.Rows[1].Status != store.Unsubscribed || f.Rows[1].Line != 3 {
		t.Fatalf("CR-only: %+v", f)
	}
	f = read(t, "email,subscriber_type\nann@example.org,regular\nbo@example.org,vip-ish\n")
	if len(f.Rows) != 1 || len(f.Problems) != 1 || f.Problems[0].Line != 3 || !strings.Contains(f.Problems[0].Reason, `unknown status "vip-ish"`) {
		t.Fatalf("unknown status: %+v", f)
	}
	f = read(t, "email,email_disabled\nann@example.org,maybe\n")
	if len(f.Problems) != 1 || f.Problems[0].Line != 2 {
		t.Fatalf("a flag neither true nor false: %+v", f)
	}
	text := "email,status\nann@example.org,active\nbo@example.org,complained\n"
	g, err := ReadWith(strings.NewReader(text), Hints{Status: store.Unsubscribed})
	if err != nil || g.Rows[0].Status != store.Unsubscribed || g.Rows[1].Status != store.Complained {
		t.Fatalf("--status unsubscribed: %+v %v", g, err)
	}
	g, _ = ReadWith(strings.NewReader("ann@example.org\nAnn <a2@example.org>\n"), Hints{Name: "/x/cleaned_members_export_1.csv"})
	if g.Rows[0].Status != store.Bounced || g.Rows[1].Status != store.Bounced {
		t.Fatalf("by the file's name: %+v", g.Rows)
	}
	for _, a := range store.Statuses {
		for _, b := range store.Statuses {
			if s := stricter(a, b); rank[s] < rank[a] || rank[s] < rank[b] {
				t.Errorf("stricter(%s, %s) = %s", a, b, s)
			}
		}
	}
}

// TestFilledDatesStopMailInAnyFile: a column saying when someone
// unsubscribed or was cleaned stops mail whatever the status column says,
// in a file of no recognised tool too; "null" in a flag is its empty value.
func TestFilledDatesStopMailInAnyFile(t *testing.T) {
	f := read(t, "email,status,unsubscribed_at\nann@example.org,active,2024-03-13 11:33:53 UTC\nbo@example.org,active,\n")
	if f.Format != "csv with header" || len(f.Rows) != 2 || f.Rows[0].Status != store.Unsubscribed || f.Rows[1].Status != store.Active {
		t.Fatalf("unsubscribed_at: %+v", f)
	}
	f = read(t, "Email,CLEAN_TIME\nann@example.org,2020-03-23 17:30:05\n")
	if len(f.Rows) != 1 || f.Rows[0].Status != store.Bounced {
		t.Fatalf("CLEAN_TIME: %+v", f)
	}
	f = read(t, "email,subscribed_to_emails\nann@example.org,null\nbo@example.org,true\n")
	if f.Format != "ghost" || len(f.Rows) != 2 || f.Rows[0].Status != store.Unsubscribed || f.Rows[1].Status != store.Active {
		t.Fatalf("null: %+v", f)
	}
}

// TestKitWithAnEmailColumn: a Kit file whose address column is "email"
// (as migration guides show Kit's export) is still Kit's, so its state
// column is the status and a cancelled or bounced row is not active;
// Buttondown's "churned" (a paid subscription ended, still subscribed)
// is mailed.
func TestKitWithAnEmailColumn(t *testing.T) {
	f := read(t, "first_name,email,state,created_at\nAnn,ann@example.org,active,2024-01-01\nBo,bo@example.org,cancelled,2024-01-02\nCy,cy@example.org,bounced,2024-01-03\n")
	if f.Format != "kit" || len(f.Rows) != 3 || f.Rows[0].Status != store.Active || f.Rows[1].Status != store.Unsubscribed ||
		f.Rows[2].Status != store.Bounced || f.Rows[0].Address.Name != "Ann" {
		t.Fatalf("%+v", f)
	}
	g := read(t, "email,subscriber_type\nann@example.org,churned\nbo@example.org,disabled\n")
	if len(g.Rows) != 2 || g.Rows[0].Status != store.Active || g.Rows[1].Status != store.Disabled {
		t.Fatalf("%+v", g)
	}
}

// TestStatusFlagCoversUnknownWords: the error names the value and its
// column; --status (or a file name saying a status) takes a word mailer
// does not know as that status, as the error advises, but --status active
// never makes one mailable.
func TestStatusFlagCoversUnknownWords(t *testing.T) {
	text := "email,state\nann@example.org,CA\nbo@example.org,cancelled\n"
	f := read(t, text)
	if len(f.Problems) != 1 || !strings.Contains(f.Problems[0].Reason, `unknown status "CA" in column "state"`) {
		t.Fatalf("no --status: %+v", f)
	}
	g, err := ReadWith(strings.NewReader(text), Hints{Status: store.Unsubscribed})
	if err != nil || len(g.Problems) != 0 || len(g.Rows) != 2 || g.Rows[0].Status != store.Unsubscribed {
		t.Fatalf("--status unsubscribed: %+v %v", g, err)
	}
	h, _ := ReadWith(strings.NewReader(text), Hints{Status: store.Active})
	if len(h.Problems) != 1 || len(h.Rows) != 1 || h.Rows[0].Status != store.Unsubscribed {
		t.Fatalf("--status active: %+v", h)
	}
	k, _ := ReadWith(strings.NewReader("email,email_disabled\nann@example.org,maybe\n"), Hints{Name: "x-unsubscribed.csv"})
	if len(k.Problems) != 0 || len(k.Rows) != 1 || k.Rows[0].Status != store.Unsubscribed {
		t.Fatalf("a flag under a file name saying unsubscribed: %+v", k)
	}
}
