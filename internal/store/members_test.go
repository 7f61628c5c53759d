package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"mailer/internal/fault"
	"mailer/internal/store"
)

var admin = store.Evidence{Source: store.SourceAdmin, Operator: "tester"}

func TestAddressesAreUniqueCaseInsensitively(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	ch, err := db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "Alice@Example.ORG"), store.Active, admin)
	if err != nil || !ch.Changed() || ch.Address != "Alice@example.org" {
		t.Fatalf("first add: %+v %v", ch, err)
	}
	ch, err = db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "alice@example.org"), store.Active, admin)
	if err != nil || ch.Changed() || ch.From != store.Active {
		t.Fatalf("second add of same person: %+v %v", ch, err)
	}
	l, _ := db.GetList(ctx, "news")
	if l.Counts[store.Active] != 1 {
		t.Fatalf("active = %d, want 1", l.Counts[store.Active])
	}
	m, err := db.GetMember(ctx, listOf(t, db, "news"), "ALICE@example.org")
	if err != nil || m.Address != "Alice@example.org" {
		t.Fatalf("GetMember: %+v %v", m, err)
	}
}

func TestStatusTransitions(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	a := mustAddr(t, "bob@example.org")
	steps := []struct {
		to      store.Status
		wantErr bool
	}{
		{store.Pending, false},
		{store.Bounced, true}, // a pending address was never mailed an issue
		{store.Active, false},
		{store.Pending, true}, // an active member does not go back to pending
		{store.Bounced, false},
		{store.Active, false},
		{store.Unsubscribed, false},
		{store.Disabled, true},
		{store.Pending, false},
	}
	for i, s := range steps {
		_, err := db.SetStatus(ctx, listOf(t, db, "news"), a, s.to, admin)
		if s.wantErr {
			if fault.CodeOf(err) != fault.Conflict {
				t.Fatalf("step %d → %s: err = %v, want conflict", i, s.to, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d → %s: %v", i, s.to, err)
		}
		m, err := db.GetMember(ctx, listOf(t, db, "news"), a.String())
		if err != nil || m.Status != s.to {
			t.Fatalf("step %d: status %v, %v; want %s", i, m, err, s.to)
		}
	}
	m, _ := db.GetMember(ctx, listOf(t, db, "news"), a.String())
	if m.ConfirmedAt == nil || m.UnsubscribedAt != nil {
		t.Fatalf("timestamps after re-request: confirmed %v unsubscribed %v", m.ConfirmedAt, m.UnsubscribedAt)
	}
}

func TestAuditLogRecordsEveryChangeWithEvidence(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	a := mustAddr(t, "carol@example.org")
	db.SetStatus(ctx, listOf(t, db, "news"), a, store.Pending, store.Evidence{Source: store.SourceEmail, MessageID: "<req@example.org>"})
	db.SetStatus(ctx, listOf(t, db, "news"), a, store.Active, store.Evidence{Source: store.SourceWeb, IP: "192.0.2.7", UserAgent: "Mozilla"})
	db.SetStatus(ctx, listOf(t, db, "news"), a, store.Active, admin) // no change: no row
	db.SetStatus(ctx, listOf(t, db, "news"), a, store.Unsubscribed, store.Evidence{Source: store.SourceAdmin, Operator: "root", Reason: "asked by phone"})
	log, err := db.AuditLog(ctx, nil, "CAROL@example.org")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		action   string
		from, to store.Status
	}{{"subscribe-requested", "", store.Pending}, {"confirmed", store.Pending, store.Active}, {"unsubscribed", store.Active, store.Unsubscribed}}
	if len(log) != len(want) {
		t.Fatalf("audit rows = %d, want %d: %+v", len(log), len(want), log)
	}
	for i, w := range want {
		if log[i].Action != w.action || log[i].OldStatus != w.from || log[i].NewStatus != w.to {
			t.Errorf("row %d = %+v, want %+v", i, log[i], w)
		}
	}
	if log[0].MessageID != "<req@example.org>" || log[1].IP != "192.0.2.7" || log[1].UserAgent != "Mozilla" ||
		log[2].Operator != "root" || log[2].Reason != "asked by phone" {
		t.Fatalf("evidence lost: %+v", log)
	}
	if !log[1].At.After(log[0].At) {
		t.Fatalf("timestamps not from the clock: %v, %v", log[0].At, log[1].At)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "d@example.org"), store.Active, admin)
	// Straight to the database, past the store's code.
	driver, queries := "sqlite3", []string{`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`}
	if store.IsURL(db.Path()) {
		driver, queries = "pgx", append(queries, `TRUNCATE audit_log`)
	}
	raw, err := sql.Open(driver, db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range queries {
		if _, err := raw.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", q, err)
		}
	}
}

func TestMembersStreamsByStatus(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	for _, s := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, s), store.Active, admin)
	}
	db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "b@example.org"), store.Unsubscribed, admin)
	var got []string
	for m, err := range db.Members(ctx, listOf(t, db, "news"), store.Active) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.Address)
	}
	if strings.Join(got, " ") != "a@example.org c@example.org" {
		t.Fatalf("active members = %v", got)
	}
	n := 0
	for _, err := range db.Members(ctx, listOf(t, db, "news"), "") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 {
		t.Fatalf("all members = %d, want 3", n)
	}
}

func mustDBWithList(tb testing.TB, name string) *store.DB {
	db := MustOpenDB(tb)
	mustList(tb, db, name)
	return db
}

// TestComplainedIsStoredAndFinal: on either database a complaint is
// stored, is not an active member, and nothing but an owner's re-add
// (Active) moves a complainer.
func TestComplainedIsStoredAndFinal(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	l := listOf(t, db, "news")
	a := mustAddr(t, "carol@example.org")
	if _, err := db.SetStatus(ctx, l, a, store.Active, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(ctx, l, a, store.Complained, admin); err != nil {
		t.Fatalf("complained: %v", err)
	}
	for _, to := range []store.Status{store.Unsubscribed, store.Bounced, store.Disabled, store.Pending} {
		if _, err := db.SetStatus(ctx, l, a, to, admin); fault.CodeOf(err) != fault.Conflict {
			t.Errorf("complained → %s: err = %v, want conflict", to, err)
		}
	}
	if l, _ := db.GetList(ctx, "news"); l.Counts[store.Complained] != 1 || l.Counts[store.Active] != 0 {
		t.Fatalf("counts: %v", l.Counts)
	}
	if _, err := db.SetStatus(ctx, l, a, store.Active, admin); err != nil {
		t.Fatalf("owner re-add: %v", err)
	}
}
