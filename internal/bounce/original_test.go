package bounce

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestQuotedFields reads the original's fields from the returned part of a
// real DSN and from a real qmail report's text, never from the report's
// own header.
func TestQuotedFields(t *testing.T) {
	aol, err := os.ReadFile("testdata/bounceparser/aol.unknown.msg")
	if err != nil {
		t.Fatal(err)
	}
	if got := QuotedFields(aol, "message-id"); !slices.Equal(got, []string{"<200606062115.k56LFe7d012436@somehost.example.com>"}) {
		t.Errorf("AOL DSN: the original's Message-ID read as %q", got)
	}
	qmail, err := os.ReadFile("testdata/flufl/qmail_01.txt")
	if err != nil {
		t.Fatal(err)
	}
	quoted := strings.Replace(string(qmail), "Message removed", "> Feedback-ID: s7:news:issue:mailer\n>\n> Hi", 1)
	if got := QuotedFields([]byte(quoted), "Feedback-ID"); !slices.Equal(got, []string{"s7:news:issue:mailer"}) {
		t.Errorf("qmail text: Feedback-ID read as %q", got)
	}
	if got := QuotedFields(qmail, "Message-ID"); len(got) != 0 {
		t.Errorf("the report's own Message-ID was read as the original's: %q", got)
	}
}

// FuzzQuotedFields: never panics; every value is one line.
func FuzzQuotedFields(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.*")
	for _, name := range files {
		raw, _ := os.ReadFile(name)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, v := range QuotedFields(raw, "Message-ID") {
			if strings.ContainsAny(v, "\r\n") {
				t.Fatalf("a value spans lines: %q", v)
			}
		}
	})
}
