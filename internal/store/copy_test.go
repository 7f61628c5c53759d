package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// fillEveryTable puts rows in every table, with the awkward values: NULLs,
// flags both ways, binary bytes, fractions, non-ASCII text.
func fillEveryTable(t *testing.T, db *store.DB) {
	ctx := context.Background()
	s := startTestSend(t, db, 4)
	db.UpdateList(ctx, "news", store.ListSettings{Owners: &[]string{"o@example.org"}, Welcome: ptr(false), Description: ptr("Zoë's list — ünïcode")})
	q := db.Queue(s.ID)
	jobs, err := q.Exchange(ctx, nil, 3, db.Now())
	if err != nil || len(jobs) != 3 {
		t.Fatalf("claim: %d %v", len(jobs), err)
	}
	q.Exchange(ctx, []delivery.Result{{JobID: jobs[0].ID, Outcome: delivery.Sent, Reply: "250 ok", At: db.Now()},
		{JobID: jobs[1].ID, Outcome: delivery.Failed, Permanent: true, Reply: "550 no", At: db.Now()},
		{JobID: jobs[2].ID, Outcome: delivery.Deferred, Reply: "451 later", NextAttempt: db.Now().Add(time.Hour), At: db.Now()}}, 0, db.Now())
	db.SetPaused(ctx, s.ID, true)
	db.SetStatus(ctx, listOf(t, db, "news"), mustAddr(t, "gone@example.org"), store.Unsubscribed, admin)
	if _, err := db.RecordBounce(ctx, listOf(t, db, "news"), "ra@example.org", false, "mailbox full", store.BouncePolicy{Threshold: 5, Window: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	l, _ := db.GetList(ctx, "news")
	must(db.CreateConfirmation(ctx, "tok", store.Confirmation{ListID: l.ID, Address: "new@example.org", Action: "subscribe", Source: "email",
		CreatedAt: db.Now(), ExpiresAt: db.Now().Add(time.Hour)}))
	must(db.RecordReply(ctx, "new@example.org", store.BudgetMail))
	must(db.StoreBounce(ctx, store.Bounce{ListName: "news", Recipient: "news-bounces@x", Address: "ra@example.org", Raw: []byte("\x00\xff raw")}))
	must(db.SaveArchive(ctx, l.ID, store.ArchivedIssue{Slug: "issue-01", Title: "One", Date: db.Now(), HTML: "<p>é</p>", Content: "<p>é</p>"}))
	must(db.SaveAssets(ctx, l.ID, "issue-01", []store.Asset{{Path: "img/a.png", ContentType: "image/png", Data: []byte{0x89, 'P', 0, 0xff}}}))
	_, err = db.ScheduleSend(ctx, store.Schedule{Issue: "issue-02", ListID: l.ID, ContentHash: "h2", DueAt: db.Now().Add(time.Hour)}, false)
	must(err)
	must(db.SetPassword(ctx, "o@example.org", "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", ptr(true), admin))
	must(db.RecordLogin(ctx, "o@example.org"))
	must(db.CreateSession(ctx, "session-id", store.StoredSession{CSRF: "c", Email: "o@example.org", CreatedAt: db.Now(),
		Expires: db.Now().Add(time.Hour), IdleExpires: db.Now().Add(time.Minute)}))
	must(db.RecordLoginFailure(ctx, "o@example.org", "192.0.2.1"))
	must(db.CreateAPIToken(ctx, store.APIToken{Name: "grafana", Scope: "read", List: "news"}, "mlr_secret", admin))
	must(db.CreateAPIToken(ctx, store.APIToken{Name: "crm", Scope: "write"}, "mlr_other", admin))
	must(db.RevokeAPIToken(ctx, "crm", admin))
	must(db.Update(ctx, "complaint", func(tx *store.Tx) error {
		return tx.RecordComplaint(ctx, l, store.ComplaintRecord{Address: "ra@example.org", SendID: s.ID, FeedbackType: "abuse",
			Provider: "fbl.example.net", MessageID: "r1@fbl", Raw: []byte("\x00 report")})
	}))
	must(db.RecordCapped(ctx, "site", store.BudgetMail))
	if _, err := db.RecordSendBounce(ctx, l, s.ID, jobs[0].Address, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ClaimIdempotency(ctx, store.Idempotent{Caller: "api:token crm", Key: "k1", Method: "POST", Path: "/api/v1/x", RequestHash: "h"}); err != nil {
		t.Fatal(err)
	}
	must(db.FinishIdempotency(ctx, "api:token crm", "k1", 201, []byte(`{"ok":true}`)))
	h, err := db.CreateHook(ctx, store.NewHook{URL: "https://crm.example.org/in", Secret: "whsec_x", Events: []string{"subscribed"}})
	must(err)
	_, err = db.SetStatus(ctx, l, mustAddr(t, "hooked@example.org"), store.Active, admin)
	must(err)
	evs, err := db.HookEvents(ctx, h.ID, 1)
	must(err)
	must(db.RecordHookAttempt(ctx, store.HookAttempt{EventID: evs[0].ID, At: db.Now(), Status: 500, Duration: time.Millisecond},
		store.HookOutcome{State: store.HookQueued, Next: db.Now().Add(time.Minute)}))
}

// TestCopyKeepsEverything: a copy into an empty database of the other
// kind (on the PostgreSQL run: PostgreSQL to SQLite and back) has the same
// rows in every table, checksummed; the copy then works (ids continue);
// a copy into a database that is not empty is refused.
func TestCopyKeepsEverything(t *testing.T) {
	ctx := context.Background()
	src := MustOpenDB(t)
	fillEveryTable(t, src)
	file := filepath.Join(t.TempDir(), "copy.db")
	lite, err := store.Open(ctx, file, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	sums, err := src.CopyTo(ctx, lite)
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, s := range sums {
		if s.Rows == 0 {
			t.Errorf("table %s is empty: the test does not cover it", s.Table)
		}
		rows += int(s.Rows)
	}
	back := MustOpenDB(t)
	again, err := lite.CopyTo(ctx, back)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sums {
		if sums[i] != again[i] {
			t.Errorf("%s: %+v, then %+v", sums[i].Table, sums[i], again[i])
		}
	}
	// The checksums see a change of one value.
	lite.UpdateList(ctx, "news", store.ListSettings{Title: ptr("News!")})
	changed, _ := lite.Checksums(ctx)
	if changed[0] == sums[0] {
		t.Error("the checksum of lists did not change with a title")
	}
	l, err := back.GetList(ctx, "news")
	if err != nil || l.Welcome || !strings.Contains(l.Description, "ünïcode") || len(l.Owners) != 1 {
		t.Fatalf("list after two copies: %+v %v", l, err)
	}
	if _, err := back.CreateList(ctx, "later", store.ListSettings{}); err != nil {
		t.Fatalf("a new list after the copy: %v", err)
	}
	if a, err := back.GetAsset(ctx, listOf(t, back, "news"), "issue-01", "img/a.png"); err != nil || string(a.Data) != "\x89P\x00\xff" {
		t.Fatalf("asset: %v", err)
	}
	if _, err := src.CopyTo(ctx, back); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("copy into a database with data: %v", err)
	}
	t.Logf("%d rows in %d tables copied twice (%s)", rows, len(sums), src.Path())
}

// TestBackup: a SQLite database's backup is the same, table by table, and
// opens as a database; it never overwrites; PostgreSQL points to pg_dump.
func TestBackup(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	fillEveryTable(t, db)
	file := filepath.Join(t.TempDir(), "backup.db")
	sums, err := db.Backup(ctx, file)
	if store.IsURL(db.Path()) {
		if fault.CodeOf(err) != fault.Invalid || !strings.Contains(err.Error(), "pg_dump") {
			t.Fatalf("backup of PostgreSQL: %v", err)
		}
		return
	}
	if err != nil || len(sums) != len(store.CopiedTables()) {
		t.Fatalf("backup: %d tables, %v", len(sums), err)
	}
	copied, err := store.Open(ctx, file, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close()
	if m, err := copied.GetMember(ctx, listOf(t, copied, "news"), "ra@example.org"); err != nil || m.Status != store.Active {
		t.Fatalf("member in the backup: %+v %v", m, err)
	}
	if _, err := db.Backup(ctx, file); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("second backup to the same file: %v", err)
	}
}
