package roster

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"mailer/internal/store"
)

type want struct {
	addr, name string
	status     store.Status
}

func readFile(t *testing.T, name string) *File {
	t.Helper()
	fh, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := Read(fh)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func check(t *testing.T, name string, f *File, ws []want) {
	t.Helper()
	if len(f.Problems) != 0 || len(f.Rows) != len(ws) {
		t.Fatalf("%s (%s): %d rows, problems %+v", name, f.Format, len(f.Rows), f.Problems)
	}
	for i, w := range ws {
		r := f.Rows[i]
		if r.Address.String() != w.addr || r.Address.Name != w.name || r.Status != w.status {
			t.Errorf("%s row %d: %q %q %s, want %q %q %s", name, i, r.Address.String(), r.Address.Name, r.Status, w.addr, w.name, w.status)
		}
	}
}

// TestOtherToolsExports reads the member exports of Mailman 3, Mailman 2,
// listmonk and mailer itself.
func TestOtherToolsExports(t *testing.T) {
	a := store.Active
	check(t, "postorius", readFile(t, "mailman3-postorius-Subscribers.csv"), []want{
		{"anne@example.com", "", a}, {"bart@example.org", "", a}, {"cris@example.net", "", a}})
	check(t, "mailman members", readFile(t, "mailman3-members.txt"), []want{
		{"anne@example.com", "Anne Person", a}, {"bart@example.org", "", a}, {"cris@example.net", "Person, Cris", a},
		{"zoe@example.net", "Zoë Doe", a}})
	check(t, "list_members", readFile(t, "mailman2-list_members.txt"), []want{
		{"anne@example.com", "Anne Person", a}, {"bart@example.org", "", a}, {"cris@example.net", "Cris Person", a}})
	raw, err := os.ReadFile("testdata/listmonk-subscribers.csv")
	if err != nil {
		t.Fatal(err)
	}
	// listmonk's export has the subscriber's status, not the
	// subscription's: an enabled one may have left the list.
	f := readFile(t, "listmonk-subscribers.csv")
	if len(f.Problems) != 1 || f.Problems[0].Line != 2 || !strings.Contains(f.Problems[0].Reason, "--status active") {
		t.Fatalf("listmonk's enabled subscriber without --status: problems %+v", f.Problems)
	}
	if f, err = ReadWith(strings.NewReader(string(raw)), Hints{Status: a}); err != nil {
		t.Fatal(err)
	}
	check(t, "listmonk --status active", f, []want{
		{"anne@example.com", "Anne Person", a}, {"bart@example.org", "Bart", store.Unsubscribed},
		{"cris@example.net", "Person, Cris", store.Disabled}})
	if f.Format != "listmonk" {
		t.Errorf("listmonk file read as %q", f.Format)
	}
	f = readFile(t, "mailer-export.csv")
	check(t, "mailer", f, []want{
		{"anne@example.com", "Anne Person", a}, {"bart@example.org", "", store.Unsubscribed},
		{"cris@example.net", "Person, Cris", store.Bounced}, {"dora@example.net", "=HYPERLINK(x)", store.Pending}})
}

func read(t *testing.T, text string) *File {
	t.Helper()
	f, err := Read(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBrokenFilesSayWhere: the files of the bug report each give a line
// number and a reason, and cost only their own line.
func TestBrokenFilesSayWhere(t *testing.T) {
	f := read(t, "email,name\nq1@example.org,A\nq2\"x@example.org,B\n")
	if len(f.Rows) != 1 || len(f.Problems) != 1 || f.Problems[0].Line != 3 || !strings.Contains(f.Problems[0].Reason, "bare \"") {
		t.Fatalf("stray quote: %+v", f)
	}

	var b strings.Builder
	b.WriteString("email,name\n")
	for i := 2; i <= 100_001; i++ {
		if i == 50_002 {
			fmt.Fprintf(&b, "\"r%06d@example.org,Reader\n", i) // the quote is never closed
			continue
		}
		fmt.Fprintf(&b, "r%06d@example.org,Reader %d\n", i, i)
	}
	f = read(t, b.String())
	if len(f.Rows) != 99_999 || len(f.Problems) != 1 || f.Problems[0].Line != 50_002 {
		t.Fatalf("unterminated quote: %d rows, problems %+v", len(f.Rows), f.Problems)
	}

	f = read(t, "\uFEFFann@example.org\nann@example.org\n")
	if len(f.Rows) != 1 || f.Rows[0].Address.String() != "ann@example.org" || len(f.Repeats) != 1 || f.Repeats[0].Line != 2 {
		t.Fatalf("BOM without a header: %+v", f)
	}

	f = read(t, "a@example.org,A,extra\n")
	if len(f.Problems) != 1 || !strings.Contains(f.Problems[0].Reason, "no header") {
		t.Fatalf("3 columns without a header: %+v", f.Problems)
	}
	f = read(t, "email,name\nb@example.org,B,extra\n")
	if len(f.Problems) != 1 || !strings.Contains(f.Problems[0].Reason, "the header has 2") {
		t.Fatalf("3 columns under a 2-column header: %+v", f.Problems)
	}
	f = read(t, "Name;E-Mail;Status\nAnn;ann@example.org;active\nBo;bo@example.org;gone\n")
	if len(f.Rows) != 1 || f.Rows[0].Address.Name != "Ann" || len(f.Problems) != 1 || !strings.Contains(f.Problems[0].Reason, "unknown status") {
		t.Fatalf("semicolons, columns by name, a bad status: %+v", f)
	}
	if _, err := Read(strings.NewReader(strings.Repeat("x", MaxLineBytes+10))); err == nil {
		t.Fatal("a 64 KiB line was read as a member list")
	}
}

// FuzzRead: no input makes the reader panic, and every row it returns is a
// valid address once.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"mailman3-postorius-Subscribers.csv", "mailman3-members.txt", "listmonk-subscribers.csv", "mailer-export.csv"} {
		b, _ := os.ReadFile("testdata/" + name)
		f.Add(b)
	}
	f.Add([]byte("\uFEFFemail\n\"a@b.c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, r := range file.Rows {
			if seen[r.Address.Key()] || !strings.Contains(r.Address.String(), "@") {
				t.Fatalf("row %+v", r)
			}
			seen[r.Address.Key()] = true
		}
	})
}

// TestMailmanDoctestLines: the member lines of Mailman 3's own doctest
// (src/mailman/commands/docs/members.rst: the file `mailman members --add`
// reads, parsed there with email.utils.parseaddr, and the listing the
// command prints), transcribed: the bare address, "Name <address>",
// "address (Name)"; '#' lines and blank ones are no member.
func TestMailmanDoctestLines(t *testing.T) {
	a := store.Active
	f := read(t, "aperson@example.com\nBart Person <bperson@example.com>\ncperson@example.com (Cate Person)\n"+
		"# hperson@example.com\n   \n\niperson@example.com\n")
	check(t, "mailman members --add", f, []want{{"aperson@example.com", "", a}, {"bperson@example.com", "Bart Person", a},
		{"cperson@example.com", "Cate Person", a}, {"iperson@example.com", "", a}})
	if f.Data != 4 || f.Rows[3].Line != 7 {
		t.Errorf("data %d, last line %d", f.Data, f.Rows[3].Line)
	}
	g := read(t, "Anne Person <anne@aaaxample.com>\nAnne Person <anne@example.com>\nBart Person <bart@example.com>\n")
	check(t, "mailman members", g, []want{{"anne@aaaxample.com", "Anne Person", a}, {"anne@example.com", "Anne Person", a},
		{"bart@example.com", "Bart Person", a}})
}
