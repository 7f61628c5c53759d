package bounce

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// arfCase is one line of testdata/arf/expected.tsv (see its README).
type arfCase struct {
	file, complaint, feedbackType, recipient string
}

func loadARF(t testing.TB) []arfCase {
	f, err := os.Open("testdata/arf/expected.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []arfCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 4 {
			t.Fatalf("bad line %q", line)
		}
		out = append(out, arfCase{c[0], c[1], c[2], c[3]})
	}
	return out
}

// Every real report is read as the answer key says: complaint or not, its
// type, the complainer it names; and none of them scores as a bounce.
func TestFeedbackCorpus(t *testing.T) {
	cases := loadARF(t)
	files, _ := filepath.Glob("testdata/arf/*.eml")
	if len(cases) != len(files) || len(cases) < 15 {
		t.Fatalf("%d files, %d answers", len(files), len(cases))
	}
	for _, c := range cases {
		raw, err := os.ReadFile(filepath.Join("testdata/arf", c.file))
		if err != nil {
			t.Fatal(err)
		}
		f, ok := ParseFeedback(raw)
		if c.feedbackType == "-" {
			if ok {
				t.Errorf("%s: read as feedback %+v", c.file, f)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: not read as feedback", c.file)
			continue
		}
		if got := map[bool]string{true: "yes", false: "no"}[f.Complaint()]; got != c.complaint || f.FeedbackType != c.feedbackType {
			t.Errorf("%s: complaint %s type %q, want %s %q", c.file, got, f.FeedbackType, c.complaint, c.feedbackType)
		}
		if want := strings.TrimPrefix(c.recipient, "-"); f.Recipient() != want {
			t.Errorf("%s: recipient %q, want %q", c.file, f.Recipient(), want)
		}
		if f.Provider() == "" {
			t.Errorf("%s: no provider", c.file)
		}
		if r := Parse(raw); r.Failed() || len(r.Failures) > 0 {
			t.Errorf("%s: feedback report scored as a bounce: %+v", c.file, r)
		}
	}
}

// The fields of RFC 5965 §3.1 are read, several Original-Rcpt-To kept in
// order, and the original's header is there for the caller's matching.
func TestFeedbackFields(t *testing.T) {
	raw, err := os.ReadFile("testdata/arf/sisimai-arf-17.eml")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := ParseFeedback(raw)
	if f.UserAgent != "abusix-py/0.1" || f.Version != "1" || f.SourceIP != "192.0.2.3" ||
		f.OriginalMailFrom != "sironeko@example.jp" || f.ArrivalDate == "" ||
		strings.Join(f.OriginalRcptTo, ",") != "kijitora@example.com,sabatora@example.net" {
		t.Errorf("fields: %+v", f)
	}
	if f.Original == nil || f.Original.Get("Message-Id") != "<EEEEEEEE-0000-0000-0000-EEEEEEEE2222@example.net>" {
		t.Errorf("original header: %v", f.Original)
	}
	aol, _ := os.ReadFile("testdata/arf/sendgrid-aol-scomp.eml")
	f, _ = ParseFeedback(aol)
	if f.Reporter != "aol.net" || f.Original.Get("Return-Path") == "" || f.Original.Get("List-Unsubscribe") == "" {
		t.Errorf("AOL: %+v", f)
	}
}

// A DSN and a plain message are no feedback reports.
func TestFeedbackOnlyReports(t *testing.T) {
	for _, name := range []string{"testdata/sisimai/email-google-02.eml", "testdata/own/normal.eml", "testdata/flufl/dsn_01.txt"} {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := ParseFeedback(raw); ok {
			t.Errorf("%s read as feedback: %+v", name, f)
		}
	}
}

// FuzzParseFeedback: never panics; a report's recipient is an address or
// nothing, never a redacted placeholder.
func FuzzParseFeedback(f *testing.F) {
	files, _ := filepath.Glob("testdata/arf/*.eml")
	for _, name := range files {
		raw, _ := os.ReadFile(name)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fb, ok := ParseFeedback(raw)
		if !ok {
			return
		}
		if fb.FeedbackType == "" {
			t.Fatal("a report without a type")
		}
		if r := fb.Recipient(); r != "" && (!strings.Contains(r, "@") || redacted(r)) {
			t.Fatalf("recipient %q", r)
		}
		_ = Parse(raw)
	})
}
