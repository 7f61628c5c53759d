package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"mailer/internal/auth"
	"mailer/internal/fault"
)

// TestTokenScopes: a read token for one list sees it and changes nothing;
// a write token without a list changes every list; the secret is shown
// once, never listed; its last use is noted (to the minute); a wrong,
// unknown or revoked secret is Unauthenticated, the secret never in the
// error; each creation and revocation is audited.
func TestTokenScopes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.list("news")
	e.list("other")
	read, err := e.svc.CreateToken(ctx, "grafana", auth.ScopeRead, "NEWS", operator)
	if err != nil {
		t.Fatal(err)
	}
	write, _ := e.svc.CreateToken(ctx, "crm", auth.ScopeWrite, "", operator)
	if !strings.HasPrefix(read, "mlr_") || len(read) != 4+43 || read == write {
		t.Fatalf("secrets %q %q", read, write)
	}
	p, err := e.svc.Bearer(ctx, read)
	if err != nil || p.Name != "grafana" || p.Token != "grafana" || p.Admin || p.Write || len(p.Lists) != 1 || p.Lists[0] != "news" {
		t.Fatalf("read token: %+v %v", p, err)
	}
	if !p.CanSee("news") || p.CanSee("other") || fault.CodeOf(p.CanChange("news")) != fault.Forbidden || p.Operator() != "api:token grafana" {
		t.Fatalf("read token's rights: %+v", p)
	}
	w, _ := e.svc.Bearer(ctx, write)
	if !w.Admin || !w.Write || w.CanChange("other") != nil || w.CanChange("news") != nil {
		t.Fatalf("write token: %+v", w)
	}
	used := e.clk.Now()
	e.clk.Advance(30 * time.Second)
	e.svc.Bearer(ctx, read) // within the minute: not noted again
	list, err := e.svc.Tokens(ctx)
	if err != nil || len(list) != 2 || list[1].Name != "grafana" || list[1].LastUsed == nil || !list[1].LastUsed.Equal(used) {
		t.Fatalf("tokens: %+v %v", list, err)
	}
	e.clk.Advance(30 * time.Second)
	e.svc.Bearer(ctx, read)
	if list, _ := e.svc.Tokens(ctx); !list[1].LastUsed.Equal(e.clk.Now()) {
		t.Fatalf("a minute later, last used %v", list[1].LastUsed)
	}
	if err := e.svc.RevokeToken(ctx, "grafana", operator); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{read, read[:len(read)-1] + "x", "mlr_", "", "Bearer " + write, write[4:]} {
		_, err := e.svc.Bearer(ctx, bad)
		if fault.CodeOf(err) != fault.Unauthenticated || (len(bad) > 4 && strings.Contains(err.Error(), bad[4:])) {
			t.Errorf("secret %q: %v", bad, err)
		}
	}
	if _, err := e.svc.Bearer(ctx, write); err != nil {
		t.Fatalf("revoking one token ended another: %v", err)
	}
	log, _ := e.db.AuditLog(ctx, nil, "")
	var got []string
	for _, l := range log {
		got = append(got, l.Action+" "+l.Reason+" by "+l.Operator)
		if strings.Contains(l.Reason, read[4:]) || strings.Contains(l.Reason, write[4:]) {
			t.Error("a secret in the audit log")
		}
	}
	want := "token-created token grafana, scope read, list news by tester|token-created token crm, scope write by tester|" +
		"token-revoked token grafana, scope read, list news by tester"
	if strings.Join(got, "|") != want {
		t.Fatalf("audit:\n%s", strings.Join(got, "\n"))
	}
}

// TestCreateTokenRefuses: an unknown list, a bad scope or name, a name
// in use.
func TestCreateTokenRefuses(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.list("news")
	for _, c := range []struct {
		name, scope, list string
		code              fault.Code
		says              string
	}{
		{"a", auth.ScopeRead, "nope", fault.NotFound, `no list named "nope"`},
		{"a", "admin", "", fault.Invalid, "use read or write"},
		{"", auth.ScopeRead, "", fault.Invalid, "1 to 64"},
		{"has space", auth.ScopeRead, "", fault.Invalid, "letters, digits"},
		{strings.Repeat("x", 65), auth.ScopeRead, "", fault.Invalid, "1 to 64"},
	} {
		if _, err := e.svc.CreateToken(ctx, c.name, c.scope, c.list, operator); fault.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: %v", c, err)
		}
	}
	e.svc.CreateToken(ctx, "a", auth.ScopeRead, "", operator)
	if _, err := e.svc.CreateToken(ctx, "a", auth.ScopeWrite, "", operator); fault.CodeOf(err) != fault.Conflict {
		t.Errorf("a name in use: %v", err)
	}
	if list, _ := e.svc.Tokens(ctx); len(list) != 1 {
		t.Errorf("refused tokens were kept: %+v", list)
	}
}

// TestOwners: owners ls is every login, every list owner and the site
// owner, with their lists; removing an owner ends their sessions and is
// audited.
func TestOwners(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.list("news", "Alex@example.org")
	e.list("beta", "alex@example.org", "bo@example.org")
	e.password("alex@example.org", pw, nil)
	e.password("root@example.org", pw, ptr(true))
	s, _ := e.svc.Login(ctx, "alex@example.org", pw, "")
	owners, err := e.svc.Owners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range owners {
		got = append(got, strings.Join([]string{o.Address, map[bool]string{true: "admin", false: "-"}[o.Admin],
			map[bool]string{true: "login", false: "-"}[o.Login], map[bool]string{true: "seen", false: "-"}[o.LastLogin != nil],
			strings.Join(o.Lists, ",")}, " "))
	}
	want := "alex@example.org - login seen beta,news|bo@example.org - - - beta|root@example.org admin login - |site@example.org admin - - "
	if strings.Join(got, "|") != want {
		t.Fatalf("owners:\n%s", strings.Join(got, "\n"))
	}
	if err := e.svc.RemoveOwner(ctx, "ALEX@example.org", operator); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Session(ctx, s.ID); fault.CodeOf(err) != fault.Unauthenticated {
		t.Fatalf("a removed owner's session: %v", err)
	}
	if _, err := e.svc.Login(ctx, "alex@example.org", pw, ""); fault.CodeOf(err) != fault.Unauthenticated {
		t.Fatalf("a removed owner logs in: %v", err)
	}
	if err := e.svc.RemoveOwner(ctx, "bo@example.org", operator); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("an owner without a login: %v", err)
	}
	log, _ := e.db.AuditLog(ctx, nil, "alex@example.org")
	if n := len(log); n != 2 || log[1].Action != "owner-removed" || log[1].Operator != "tester" {
		t.Fatalf("audit: %+v", log)
	}
}
