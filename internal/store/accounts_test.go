package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"mailer/internal/fault"
	"mailer/internal/store"
)

// TestAccounts: a login is kept by its lower-cased address; a second
// password keeps the admin flag unless told; each change is audited with
// the operator and without the hash; removing a login ends its sessions.
func TestAccounts(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.Account(ctx, "alex@example.org"); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("no login yet: %v", err)
	}
	if err := db.SetPassword(ctx, "Alex@Example.org", "hash-1", ptr(true), admin); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPassword(ctx, "alex@example.org", "hash-2", nil, admin); err != nil {
		t.Fatal(err)
	}
	a, err := db.Account(ctx, "ALEX@example.org")
	if err != nil || a.Email != "alex@example.org" || a.PasswordHash != "hash-2" || !a.Admin || a.LastLogin != nil {
		t.Fatalf("account: %+v %v", a, err)
	}
	db.SetPassword(ctx, "alex@example.org", "hash-3", ptr(false), admin)
	if a, _ := db.Account(ctx, "alex@example.org"); a.Admin {
		t.Fatal("--admin=false kept the flag")
	}
	if err := db.RecordLogin(ctx, "alex@example.org"); err != nil {
		t.Fatal(err)
	}
	if a, _ := db.Account(ctx, "alex@example.org"); a.LastLogin == nil || !a.LastLogin.After(a.CreatedAt) {
		t.Fatalf("last login: %+v", a)
	}
	db.SetPassword(ctx, "bo@example.org", "hash-b", nil, admin)
	if all, err := db.Accounts(ctx); err != nil || len(all) != 2 || all[0].Email != "alex@example.org" || all[1].Admin {
		t.Fatalf("accounts: %+v %v", all, err)
	}
	session(t, db, "sid-alex", "alex@example.org", time.Hour)
	if err := db.DeleteAccount(ctx, "alex@example.org", admin); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetSession(ctx, "sid-alex"); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("a removed owner's session lives on: %v", err)
	}
	if err := db.DeleteAccount(ctx, "alex@example.org", admin); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("second removal: %v", err)
	}
	log, _ := db.AuditLog(ctx, nil, "alex@example.org")
	var actions []string
	for _, e := range log {
		if e.Operator != "tester" || e.List != "" || strings.Contains(e.Reason, "hash") {
			t.Errorf("audit entry %+v", e)
		}
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, " ") != "owner-password-set owner-password-set owner-password-set owner-removed" {
		t.Fatalf("audited: %v", actions)
	}
}

func session(t *testing.T, db *store.DB, id, email string, life time.Duration) {
	t.Helper()
	now := db.Now()
	if err := db.CreateSession(context.Background(), id, store.StoredSession{CSRF: "csrf-" + id, Email: email, CreatedAt: now,
		Expires: now.Add(life), IdleExpires: now.Add(life / 2)}); err != nil {
		t.Fatal(err)
	}
}

// TestSessions: a session is found by its id, kept only as its hash,
// renewed, ended; one past its expiry goes when the next one is made.
func TestSessions(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	db.SetPassword(ctx, "o@example.org", "h", nil, admin)
	session(t, db, "the-raw-session-id", "O@example.org", time.Hour)
	s, err := db.GetSession(ctx, "the-raw-session-id")
	if err != nil || s.Email != "o@example.org" || s.CSRF != "csrf-the-raw-session-id" || !s.Expires.After(s.IdleExpires) {
		t.Fatalf("session: %+v %v", s, err)
	}
	if err := db.TouchSession(ctx, "the-raw-session-id", s.Expires); err != nil {
		t.Fatal(err)
	}
	if s2, _ := db.GetSession(ctx, "the-raw-session-id"); !s2.IdleExpires.Equal(s.Expires) {
		t.Fatalf("renewed to %v, want %v", s2.IdleExpires, s.Expires)
	}
	if n := countWhere(t, db, "sessions", "id_hash LIKE '%raw-session%' OR length(id_hash) != 64"); n != 0 {
		t.Fatal("the session id is stored in clear")
	}
	session(t, db, "short", "o@example.org", 2*time.Second)
	db.Now() // the clock moves a second a call
	db.Now()
	session(t, db, "later", "o@example.org", time.Hour)
	if _, err := db.GetSession(ctx, "short"); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("an expired session was kept: %v", err)
	}
	if err := db.DeleteSession(ctx, "later"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetSession(ctx, "later"); fault.CodeOf(err) != fault.NotFound || strings.Contains(err.Error(), "later") {
		t.Fatalf("after logout: %v", err)
	}
	if err := db.DeleteSession(ctx, "later"); err != nil {
		t.Fatalf("logging out twice: %v", err)
	}
}

// countWhere counts a table's rows matching a condition, over a
// connection of its own.
func countWhere(t *testing.T, db *store.DB, table, where string) int {
	t.Helper()
	driver := "sqlite3"
	if store.IsURL(db.Path()) {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM ` + table + ` WHERE ` + where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLoginFailures: failures count by address (any case) and by client
// apart, since a time; clearing an address leaves its clients' count.
func TestLoginFailures(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	start := db.Now()
	for range 3 {
		if err := db.RecordLoginFailure(ctx, "Alex@example.org", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	db.RecordLoginFailure(ctx, "bo@example.org", "192.0.2.1")
	db.RecordLoginFailure(ctx, "bo@example.org", "")
	n, last, err := db.LoginFailures(ctx, store.FailureAddress, "alex@EXAMPLE.org", start)
	if err != nil || n != 3 || !last.After(start) {
		t.Fatalf("by address: %d %v %v", n, last, err)
	}
	if n, _, _ := db.LoginFailures(ctx, store.FailureClient, "192.0.2.1", start); n != 4 {
		t.Fatalf("by client: %d", n)
	}
	if n, _, _ := db.LoginFailures(ctx, store.FailureAddress, "alex@example.org", last.Add(time.Nanosecond)); n != 0 {
		t.Fatalf("since after the last: %d", n)
	}
	if err := db.ClearLoginFailures(ctx, "ALEX@example.org"); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := db.LoginFailures(ctx, store.FailureAddress, "alex@example.org", start); n != 0 {
		t.Fatalf("after clearing: %d", n)
	}
	if n, _, _ := db.LoginFailures(ctx, store.FailureClient, "192.0.2.1", start); n != 4 {
		t.Fatalf("clearing an address cleared its client: %d", n)
	}
	if n, at, _ := db.LoginFailures(ctx, store.FailureClient, "", start); n != 0 || !at.IsZero() {
		t.Fatalf("an empty client was counted: %d", n)
	}
}

// TestAPITokens: a token is found by its secret, which is stored only as
// its hash; names are unique, revoked ones too; revoking is once; every
// change is audited with the token's name and scope.
func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	secret := "mlr_0123456789abcdefghijklmnopqrstuvwxyzABCDE"
	if err := db.CreateAPIToken(ctx, store.APIToken{Name: "grafana", Scope: "read", List: "news"}, secret, admin); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAPIToken(ctx, store.APIToken{Name: "grafana", Scope: "write"}, "mlr_x", admin); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("same name: %v", err)
	}
	tok, err := db.APITokenBySecret(ctx, secret)
	if err != nil || tok.Name != "grafana" || tok.Scope != "read" || tok.List != "news" || tok.LastUsed != nil || tok.RevokedAt != nil {
		t.Fatalf("by secret: %+v %v", tok, err)
	}
	if _, err := db.APITokenBySecret(ctx, secret+"x"); fault.CodeOf(err) != fault.NotFound || strings.Contains(err.Error(), secret) {
		t.Fatalf("a wrong secret: %v", err)
	}
	if n := countWhere(t, db, "api_tokens", "secret_hash LIKE '%mlr_%'"); n != 0 {
		t.Fatal("the secret is stored in clear")
	}
	used := db.Now()
	if err := db.TouchAPIToken(ctx, "grafana", used); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeAPIToken(ctx, "grafana", admin); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeAPIToken(ctx, "grafana", admin); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("second revoke: %v", err)
	}
	if err := db.RevokeAPIToken(ctx, "nope", admin); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("unknown: %v", err)
	}
	all, err := db.APITokens(ctx)
	if err != nil || len(all) != 1 || all[0].LastUsed == nil || !all[0].LastUsed.Equal(used) || all[0].RevokedAt == nil {
		t.Fatalf("tokens: %+v %v", all, err)
	}
	if err := db.CreateAPIToken(ctx, store.APIToken{Name: "grafana", Scope: "read"}, "mlr_y", admin); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("a revoked token's name reused: %v", err)
	}
	log, _ := db.AuditLog(ctx, nil, "")
	if len(log) != 2 || log[0].Action != store.ActionTokenCreated || log[1].Action != store.ActionTokenRevoked ||
		log[0].Reason != "token grafana, scope read, list news" || log[1].Operator != "tester" {
		t.Fatalf("audit: %+v", log)
	}
}

// TestListsOwnedBy: the lists whose owners include an address, in any case.
func TestListsOwnedBy(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	db.CreateList(ctx, "news", store.ListSettings{Owners: &[]string{"Alex@example.org", "bo@example.org"}})
	db.CreateList(ctx, "beta", store.ListSettings{Owners: &[]string{"alex@EXAMPLE.org"}})
	db.CreateList(ctx, "other", store.ListSettings{Owners: &[]string{"bo@example.org", "ZOË@example.org"}})
	if got, _ := db.ListsOwnedBy(ctx, "zoë@example.org"); strings.Join(got, " ") != "other" {
		t.Fatalf("zoë owns %v", got)
	}
	if got, err := db.ListsOwnedBy(ctx, "alex@example.org"); err != nil || strings.Join(got, " ") != "beta news" {
		t.Fatalf("alex owns %v, %v", got, err)
	}
	if got, _ := db.ListsOwnedBy(ctx, "nobody@example.org"); got == nil || len(got) != 0 {
		t.Fatalf("nobody owns %#v", got)
	}
}
