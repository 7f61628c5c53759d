package roster

import (
	"bytes"
	"errors"
	"iter"
	"strings"
	"testing"
	"time"

	"mailer/internal/store"
)

func members(ms []*store.Member, fail error) iter.Seq2[*store.Member, error] {
	return func(yield func(*store.Member, error) bool) {
		for _, m := range ms {
			if !yield(m, nil) {
				return
			}
		}
		if fail != nil {
			yield(nil, fail)
		}
	}
}

// TestExportReadsBack: what WriteExport writes, Read takes back as
// mailer's own format with the same addresses, names and statuses; a name
// that a spreadsheet would run as a formula is defused in the file and
// read back as it was.
func TestExportReadsBack(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	ms := []*store.Member{
		{Address: "ann@example.org", Name: "Ann Lee", Status: store.Active, Source: store.SourceEmail, ConfirmedAt: &at, UpdatedAt: at},
		{Address: "bob@example.org", Name: "=HYPERLINK(\"http://x\")", Status: store.Unsubscribed, Source: store.SourceWeb, UpdatedAt: at},
		{Address: "cy@example.org", Status: store.Bounced, Source: store.SourceImport, UpdatedAt: at},
	}
	var b bytes.Buffer
	if err := WriteExport(&b, members(ms, nil)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "email,name,status,source,subscribed_at,updated_at\n") ||
		!strings.Contains(b.String(), "2026-12-07T09:30:00Z") || !strings.Contains(b.String(), `"'=HYPERLINK(""http://x"")"`) {
		t.Fatalf("export:\n%s", b.String())
	}
	f, err := Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "export", f, []want{{"ann@example.org", "Ann Lee", store.Active},
		{"bob@example.org", "=HYPERLINK(\"http://x\")", store.Unsubscribed}, {"cy@example.org", "", store.Bounced}})
}

// TestExportStopsOnError: a failing member sequence is the export's error.
func TestExportStopsOnError(t *testing.T) {
	boom := errors.New("database gone")
	if err := WriteExport(&bytes.Buffer{}, members(nil, boom)); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
}
