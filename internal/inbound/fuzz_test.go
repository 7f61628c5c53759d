package inbound_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mailer/internal/inbound"
	"mailer/internal/pgtest"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// recordingOutbox counts what would be sent. The fuzz target runs the
// handler thousands of times a second, faster than an SMTP server should.
type recordingOutbox struct{ sent int }

func (o *recordingOutbox) Send(context.Context, string, string, []byte) error { o.sent++; return nil }

func fuzzHandler(tb testing.TB) (*inbound.Handler, *recordingOutbox) {
	db, err := store.Open(context.Background(), pgtest.Location(tb, "f.db"), store.Options{Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.CreateList(context.Background(), "bpf-updates", store.ListSettings{})
	out := &recordingOutbox{}
	h := testwire.Build(tb, db, out, testwire.Options{Interval: time.Hour, ConfirmTTL: time.Hour}).Handler
	return h, out
}

// FuzzHandle feeds arbitrary mail to the whole handler: it never panics,
// and a message marked Auto-Submitted is never answered.
func FuzzHandle(f *testing.F) {
	for _, name := range []string{"plain.eml", "multipart.eml", "html-only.eml", "latin1.eml", "qp.eml", "quoted.eml"} {
		raw, _ := os.ReadFile(filepath.Join("testdata", name))
		f.Add(raw)
	}
	h, out := fuzzHandler(f)
	for name, raw := range worstShapes() {
		if name == "nested-16" || name == "parts-500" { // the big ones are too slow to mutate
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, rcpt := range []string{"majordomo@" + host, "bpf-updates-request@" + host} {
			h.Handle(context.Background(), inbound.Delivery{Recipient: rcpt, Sender: "a@example.org", SenderKnown: true, Raw: raw})
		}
		before := out.sent
		auto := append([]byte("Auto-Submitted: auto-replied\r\n"), raw...)
		h.Handle(context.Background(), inbound.Delivery{Recipient: "majordomo@" + host, Sender: "a@example.org", SenderKnown: true, Raw: auto})
		if out.sent != before && strings.Contains(string(auto), "\r\n\r\n") {
			// With the header first and a body after it, the mail is auto-submitted.
			t.Fatalf("answered an auto-submitted mail:\n%q", auto)
		}
	})
}

func TestSubjectThatIsAQuoteIsNoCommand(t *testing.T) {
	if got := inbound.CommandLines("", ">"); len(got) != 0 {
		t.Fatalf("CommandLines(\"\", \">\") = %q", got)
	}
}

// BenchmarkHandle measures the handler on a subscribe mail, store and
// templates included (answers are counted, not sent).
func BenchmarkHandle(b *testing.B) {
	h, _ := fuzzHandler(b)
	raw, _ := os.ReadFile(filepath.Join("testdata", "plain.eml"))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// A new sender each time, so every mail does the full work.
		m := strings.Replace(string(raw), "alice@example.org", "reader"+strconv.Itoa(i)+"@example.org", 1)
		if _, err := h.Handle(context.Background(), inbound.Delivery{Recipient: "majordomo@" + host, Sender: "x@example.org", SenderKnown: true, Raw: []byte(m)}); err != nil {
			b.Fatal(err)
		}
	}
}
