package bounce

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpus reads real-looking bounces of many MTAs, and mail that must
// not count as a bounce.
func TestCorpus(t *testing.T) {
	tests := []struct {
		file      string
		kind      Kind
		recipient string
		status    string
	}{
		{"dsn-postfix-hard.eml", Hard, "alice@example.org", "5.1.1"},
		{"dsn-mailbox-full.eml", Soft, "bob@example.com", "5.2.2"},
		{"dsn-soft-4xx.eml", Soft, "dave@example.net", "4.4.7"},
		{"qmail.eml", Hard, "erin@example.com", "5.1.1"},
		{"exim.eml", Hard, "frank@example.co.uk", "5.1.1"},
		{"sendmail.eml", Hard, "gina@old.example.edu", "5.1.1"},
		{"exchange.eml", Hard, "hank@corp.example.com", "5.1.10"},
		{"gmail.eml", Hard, "ivy@gmail.example", "5.1.1"},
		{"yahoo.eml", Hard, "jack@yahoo.example", "5.0.0"},
		{"outlook-full.eml", Soft, "kim@outlook.example", "5.2.2"},
		{"verp-only.eml", Hard, "", ""},
		{"dsn-delayed.eml", Delay, "carol@example.org", "4.4.1"},
		{"delay-text.eml", Delay, "mo@example.com", "4.3.0"},
		{"vacation.eml", AutoReply, "", ""},
		{"normal.eml", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "own", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			r := Parse(raw)
			var got Failure
			if len(r.Failures) > 0 {
				got = r.Failures[0]
			}
			if r.Kind != tt.kind || got.Recipient != tt.recipient || got.Status != tt.status || len(r.Failures) > 1 {
				t.Fatalf("got %+v, want kind=%q rcpt=%q status=%q", r, tt.kind, tt.recipient, tt.status)
			}
			if r.Failed() && got.Diagnostic == "" && r.Diagnostic == "" {
				t.Fatal("no diagnostic")
			}
		})
	}
}

func TestGarbage(t *testing.T) {
	for _, s := range []string{"", "not mail", "Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\n"} {
		if r := Parse([]byte(s)); r.Kind != "" {
			t.Errorf("%q read as a bounce: %+v", s, r)
		}
	}
}

// FuzzParse: never panics, and a bounce always has a kind.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.*")
	for _, name := range files {
		raw, _ := os.ReadFile(name)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := Parse(raw)
		for _, f := range r.Failures {
			if f.Kind == "" || !strings.Contains(f.Recipient, "@") {
				t.Fatalf("failure without a kind or an address: %+v", f)
			}
		}
	})
}

// A Sendmail-era DSN whose second boundary is indented keeps its
// delivery-status fields inside the text part; they are read there, so
// the delayed recipient stays a delay and the two failed ones fail.
func TestDSNFieldsInsideText(t *testing.T) {
	raw, err := os.ReadFile("testdata/sisimai3/rfc3464-35.eml")
	if err != nil {
		t.Fatal(err)
	}
	r := Parse(raw)
	want := map[string]Kind{"kijitora@nyaan.example.com": Hard, "mikeneko@neko.example.or.jp": Hard, "sabatora@cat.example.net": Delay}
	if len(r.Failures) != len(want) || r.Kind != Hard {
		t.Fatalf("got %+v", r)
	}
	for _, f := range r.Failures {
		if want[f.Recipient] != f.Kind {
			t.Errorf("%s: %s, want %s", f.Recipient, f.Kind, want[f.Recipient])
		}
	}
}

// fml's notices name the list that refused the post; a loop alert
// refuses one message (soft), a non-member refusal every post (hard).
func TestFMLNotice(t *testing.T) {
	for _, tt := range []struct {
		file, rcpt string
		kind       Kind
	}{
		{"testdata/sisimai3/lhost-fml-03.eml", "neko@example.co.jp", Soft},
		{"testdata/sisimai3/email-fml-01.eml", "2ndml@example.com", Soft},
	} {
		raw, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		r := Parse(raw)
		if len(r.Failures) != 1 || r.Failures[0].Recipient != tt.rcpt || r.Failures[0].Kind != tt.kind {
			t.Errorf("%s: got %+v", tt.file, r)
		}
	}
	if _, ok := fromFML(&message{header: map[string][]string{"From": {"list-admin@example.org"}}}); ok {
		t.Error("a message without X-MLServer read as an fml notice")
	}
}

// A success DSN (Postfix's answer to a verify request, Action
// "deliverable") names its recipients in the text as well; none of them
// failed.
func TestDeliveredDSNIsNoFailure(t *testing.T) {
	raw, err := os.ReadFile("testdata/sisimai3-heldout/rfc3464-28.eml")
	if err != nil {
		t.Fatal(err)
	}
	if r := Parse(raw); r.Failed() || len(r.Failures) != 0 {
		t.Fatalf("a delivery report read as %+v", r)
	}
}

// A help desk named once after "contact" is no failed recipient where
// the report names it again in Japanese.
func TestContactNamedTwice(t *testing.T) {
	raw, err := os.ReadFile("testdata/sisimai3-heldout/lhost-postfix-07.eml")
	if err != nil {
		t.Fatal(err)
	}
	r := Parse(raw)
	if len(r.Failures) != 1 || r.Failures[0].Recipient != "kijitora@user.example.or.jp" {
		t.Fatalf("failures %+v", r.Failures)
	}
}
