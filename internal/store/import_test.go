package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mailer/internal/store"
)

func row(t testing.TB, line int, addr string, st store.Status) store.ImportRow {
	return store.ImportRow{Line: line, Address: mustAddr(t, addr), Status: st}
}

// TestApplyImport: every combination of what the file says and what the
// list holds; nobody who left, bounced or was stopped is made active.
func TestApplyImport(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	for addr, st := range map[string]store.Status{"gone@example.org": store.Unsubscribed, "dead@example.org": store.Bounced,
		"held@example.org": store.Disabled, "here@example.org": store.Active} {
		db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, addr), store.Active, admin)
		db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, addr), st, admin)
	}
	rows := []store.ImportRow{
		row(t, 2, "Alice <alice@example.org>", store.Active),
		row(t, 3, "gone@example.org", store.Active),
		row(t, 4, "dead@example.org", store.Active),
		row(t, 5, "held@example.org", store.Active),
		row(t, 6, "here@example.org", store.Active),
		row(t, 7, "left-elsewhere@example.org", store.Unsubscribed),
		row(t, 8, "here@example.org", store.Unsubscribed),
		row(t, 9, "never@example.org", store.Pending),
		row(t, 10, "bounced-elsewhere@example.org", store.Bounced),
	}
	ev := store.Evidence{Source: store.SourceImport, Operator: "tester", Reason: "imported from t.csv"}
	rep, err := db.ApplyImport(ctx, listOf(t, db, "news"), rows, ev, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 1 || rep.Already != 1 || rep.Suppressed != 2 || len(rep.Skipped) != 5 {
		t.Fatalf("report %+v", rep)
	}
	for _, c := range []struct {
		addr string
		want store.Status
	}{{"alice@example.org", store.Active}, {"gone@example.org", store.Unsubscribed}, {"dead@example.org", store.Bounced},
		{"held@example.org", store.Disabled}, {"here@example.org", store.Active}, {"left-elsewhere@example.org", store.Unsubscribed},
		{"bounced-elsewhere@example.org", store.Bounced}} {
		if m, err := db.GetMember(ctx, listOf(t, db, "news"), c.addr); err != nil || m.Status != c.want {
			t.Errorf("%s: %+v %v, want %s", c.addr, m, err, c.want)
		}
	}
	if _, err := db.GetMember(ctx, listOf(t, db, "news"), "never@example.org"); err == nil {
		t.Error("an unconfirmed address was imported")
	}
	log, _ := db.AuditLog(ctx, listOf(t, db, "news"), "left-elsewhere@example.org")
	if len(log) != 1 || log[0].Action != "imported as unsubscribed" || log[0].Operator != "tester" {
		t.Fatalf("audit of a suppressed row: %+v", log)
	}
	// The same file again changes nothing.
	rep, err = db.ApplyImport(ctx, listOf(t, db, "news"), rows, ev, false)
	if err != nil || rep.Added != 0 || rep.Suppressed != 0 || rep.Already != 4 {
		t.Fatalf("second import: %+v %v", rep, err)
	}
}

func TestApplyImportDryRunChangesNothing(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	rep, err := db.ApplyImport(ctx, listOf(t, db, "news"), []store.ImportRow{row(t, 1, "a@example.org", store.Active),
		row(t, 2, "b@example.org", store.Unsubscribed)}, store.Evidence{Source: store.SourceImport}, true)
	if err != nil || !rep.DryRun || rep.Added != 1 || rep.Suppressed != 1 {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
	l, _ := db.GetList(ctx, "news")
	if l.Counts[store.Active] != 0 || l.Counts[store.Unsubscribed] != 0 {
		t.Fatalf("a dry run changed the list: %+v", l.Counts)
	}
	if log, _ := db.AuditLog(ctx, listOf(t, db, "news"), ""); len(log) != 0 {
		t.Fatalf("a dry run wrote the audit log: %+v", log)
	}
}

// TestImportIsAllOrNothing: an import that fails part-way (here the
// deadline passes during 50,000 rows) leaves no row behind.
func TestImportIsAllOrNothing(t *testing.T) {
	db := mustDBWithList(t, "news")
	rows := make([]store.ImportRow, 50_000)
	for i := range rows {
		rows[i] = row(t, i+1, fmt.Sprintf("r%05d@example.org", i), store.Active)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, err := db.ApplyImport(ctx, listOf(t, db, "news"), rows, store.Evidence{Source: store.SourceImport}, false)
	l, _ := db.GetList(context.Background(), "news")
	switch n := l.Counts[store.Active]; {
	case err != nil && n != 0:
		t.Fatalf("a failed import left %d of %d members", n, len(rows))
	case err == nil && n != len(rows):
		t.Fatalf("import said done with %d of %d members", n, len(rows))
	case err == nil:
		t.Log("the import beat the deadline; all-or-nothing held trivially")
	}
}

// BenchmarkImport applies 100,000 new members in one transaction.
func BenchmarkImport(b *testing.B) {
	rows := make([]store.ImportRow, 100_000)
	for i := range rows {
		rows[i] = row(b, i+2, fmt.Sprintf("Reader %d <reader%06d@example%d.org>", i, i, i%97), store.Active)
	}
	for range b.N {
		b.StopTimer()
		db := mustDBWithList(b, "bench")
		b.StartTimer()
		rep, err := db.ApplyImport(context.Background(), listOf(b, db, "bench"), rows, store.Evidence{Source: store.SourceImport}, false)
		if err != nil || rep.Added != len(rows) {
			b.Fatalf("import: %+v %v", rep, err)
		}
	}
}
