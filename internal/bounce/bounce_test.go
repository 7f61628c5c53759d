package bounce

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCorpus reads real-looking bounces of many MTAs, and mail that must
// not count as a bounce.
func TestCorpus(t *testing.T) {
	tests := []struct {
		file      string
		bounce    bool
		kind      Kind
		recipient string
		status    string
	}{
		{"dsn-postfix-hard.eml", true, Hard, "alice@example.org", "5.1.1"},
		{"dsn-mailbox-full.eml", true, Soft, "bob@example.com", "5.2.2"},
		{"dsn-soft-4xx.eml", true, Soft, "dave@example.net", "4.4.7"},
		{"qmail.eml", true, Hard, "erin@example.com", "5.1.1"},
		{"exim.eml", true, Hard, "frank@example.co.uk", "5.1.1"},
		{"sendmail.eml", true, Hard, "gina@old.example.edu", "5.1.1"},
		{"exchange.eml", true, Hard, "hank@corp.example.com", "5.1.10"},
		{"gmail.eml", true, Hard, "ivy@gmail.example", "5.1.1"},
		{"yahoo.eml", true, Hard, "jack@yahoo.example", "5.0.0"},
		{"outlook-full.eml", true, Soft, "kim@outlook.example", "5.2.2"},
		{"verp-only.eml", true, Hard, "", ""},
		{"dsn-delayed.eml", false, "", "carol@example.org", "4.4.1"},
		{"delay-text.eml", false, "", "", ""},
		{"vacation.eml", false, "", "", ""},
		{"normal.eml", false, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			r := Parse(raw)
			if r.Bounce != tt.bounce || r.Kind != tt.kind || r.Recipient != tt.recipient || r.Status != tt.status {
				t.Fatalf("got %+v, want bounce=%v kind=%q rcpt=%q status=%q", r, tt.bounce, tt.kind, tt.recipient, tt.status)
			}
			if r.Bounce && r.Reason == "" {
				t.Fatal("no reason")
			}
		})
	}
}

func TestGarbage(t *testing.T) {
	for _, s := range []string{"", "not mail", "Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\n"} {
		if r := Parse([]byte(s)); r.Bounce {
			t.Errorf("%q read as a bounce: %+v", s, r)
		}
	}
}

// FuzzParse: never panics, and a bounce always has a kind.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, name := range files {
		raw, _ := os.ReadFile(name)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := Parse(raw)
		if r.Bounce && r.Kind != Hard && r.Kind != Soft {
			t.Fatalf("bounce without a kind: %+v", r)
		}
	})
}
