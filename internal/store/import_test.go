package store_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"mailer/internal/store"
)

func TestImport(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	db.SetStatus(ctx, "news", mustAddr(t, "gone@example.org"), store.Active, admin)
	db.SetStatus(ctx, "news", mustAddr(t, "gone@example.org"), store.Unsubscribed, admin)
	csv := strings.Join([]string{
		"Email,Name",
		"alice@example.org,Alice",
		"  bob@example.org , Bob Jones",
		"",
		"not-an-address,Nobody",
		`"carol@example.org","Smith, Carol"`,
		"ALICE@example.org,Alice again",
		"gone@example.org,",
		`dave@example.org,bad "quote`,
		"eve@example.org,Eve,extra",
		"frank@example.org",
	}, "\n") + "\n"
	rep, err := db.Import(ctx, "news", strings.NewReader(csv), store.Evidence{Source: store.SourceImport, Operator: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 4 || rep.Already != 1 {
		t.Fatalf("added %d already %d, want 4 and 1: %+v", rep.Added, rep.Already, rep)
	}
	wantInvalid := map[int]string{5: "missing @domain", 9: "quote", 10: "3 columns"}
	if len(rep.Invalid) != len(wantInvalid) {
		t.Fatalf("invalid = %+v", rep.Invalid)
	}
	for _, p := range rep.Invalid {
		if w, ok := wantInvalid[p.Line]; !ok || !strings.Contains(p.Reason, w) {
			t.Errorf("invalid line %d: %q, want %q", p.Line, p.Reason, w)
		}
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0].Line != 8 || !strings.Contains(rep.Skipped[0].Reason, "unsubscribed") {
		t.Fatalf("skipped = %+v", rep.Skipped)
	}
	m, err := db.GetMember(ctx, "news", "carol@example.org")
	if err != nil || m.Name != "Smith, Carol" || m.Status != store.Active || m.Source != store.SourceImport {
		t.Fatalf("carol: %+v %v", m, err)
	}
	if m, _ := db.GetMember(ctx, "news", "gone@example.org"); m.Status != store.Unsubscribed {
		t.Fatalf("import re-subscribed someone who left: %+v", m)
	}

	// Importing the same file again changes nothing.
	rep, err = db.Import(ctx, "news", strings.NewReader(csv), store.Evidence{Source: store.SourceImport})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 0 || rep.Already != 5 {
		t.Fatalf("second import added %d already %d, want 0 and 5", rep.Added, rep.Already)
	}
}

func TestImportIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	ctx2, cancel := context.WithCancel(ctx)
	// A reader that cancels the context half-way makes the import fail after
	// some rows were written; none of them may remain.
	r := &cancellingReader{data: []byte("a@example.org\nb@example.org\n"), cancelAt: 14, cancel: cancel}
	if _, err := db.Import(ctx2, "news", r, store.Evidence{Source: store.SourceImport}); err == nil {
		t.Fatal("import survived a cancelled context")
	}
	l, _ := db.GetList(ctx, "news")
	if l.Counts[store.Active] != 0 {
		t.Fatalf("a failed import left %d members", l.Counts[store.Active])
	}
}

type cancellingReader struct {
	data     []byte
	off      int
	cancelAt int
	cancel   func()
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		return 0, fmt.Errorf("EOF not reached: reader broken on purpose")
	}
	n := copy(p[:1], r.data[r.off:])
	r.off += n
	if r.off == r.cancelAt {
		r.cancel()
	}
	return n, nil
}

// BenchmarkImport imports 100,000 subscribers into an empty list.
func BenchmarkImport(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("email,name\n")
	for i := range 100_000 {
		fmt.Fprintf(&buf, "reader%06d@example%d.org,Reader %d\n", i, i%97, i)
	}
	data := buf.Bytes()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		db := mustDBWithList(b, "bench")
		b.StartTimer()
		rep, err := db.Import(context.Background(), "bench", bytes.NewReader(data), store.Evidence{Source: store.SourceImport})
		if err != nil || rep.Added != 100_000 {
			b.Fatalf("import: %+v %v", rep, err)
		}
	}
}
