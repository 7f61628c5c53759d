package esphooks

import (
	"os"
	"path/filepath"
	"testing"
)

// The parsers read what strangers send once a signature verifies (and
// Mailgun's before): whatever the bytes, no panic, and every event names
// a recipient and has a kind.
func fuzzParser(f *testing.F, parse func([]byte) ([]Event, error), seeds ...string) {
	for _, s := range seeds {
		b, err := os.ReadFile(filepath.Join("testdata", s))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := parse(b)
		if err != nil && len(evs) > 0 {
			t.Fatal("events with an error")
		}
		for _, ev := range evs {
			if ev.Recipient == "" || ev.Kind < HardBounce || ev.Kind > Unsubscribe {
				t.Fatalf("event %+v", ev)
			}
		}
	})
}

func FuzzParseSES(f *testing.F) {
	fuzzParser(f, parseSES, "ses_bounce.json", "ses_complaint.json")
}

func FuzzParsePostmark(f *testing.F) {
	fuzzParser(f, parsePostmark, "postmark_bounce.json", "postmark_spam.json", "postmark_unsubscribe.json")
}

func FuzzParseSendGrid(f *testing.F) {
	fuzzParser(f, parseSendGrid, "sendgrid_events.json")
}

func FuzzParseMailgun(f *testing.F) {
	fuzzParser(f, func(b []byte) ([]Event, error) { return parseMailgun(b) }, "mailgun_failed_permanent.json", "mailgun_complained.json")
}

// FuzzSNSEnvelope: any SNS body, for the pinned topic or not, is refused
// or read without a panic and without a network fetch for a foreign host
// (the client here fails every request).
func FuzzSNSEnvelope(f *testing.F) {
	f.Add([]byte(`{"Type":"Notification","TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Timestamp":"2026-01-01T00:00:00Z","SignatureVersion":"1","Signature":"AA==","SigningCertURL":"https://sns.us-east-1.amazonaws.com/a.pem"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := NewSES(SESOptions{Topics: []string{"arn:aws:sns:us-east-1:123456789012:t"}, Client: failingClient})
		r, _ := newRequest(b)
		if evs, err := s.Events(r, b); err == nil && len(evs) > 0 {
			t.Fatalf("events from an unverifiable message: %+v", evs)
		}
	})
}
