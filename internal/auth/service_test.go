package auth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mailer/internal/auth"
	"mailer/internal/fault"
)

const pw = "correct horse battery"

// TestLogin: the right password opens a session whose Principal owns its
// lists; a wrong password and an unknown address get one answer; the
// site owner and a flagged account are admins; the login time is kept.
func TestLogin(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.list("news", "Alex@example.org")
	e.list("beta", "alex@example.org", "bo@example.org")
	e.list("other", "bo@example.org")
	e.password("alex@example.org", pw, nil)
	s, err := e.svc.Login(ctx, "ALEX@example.org", pw, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	p := s.Principal
	if p.Name != "alex@example.org" || p.Admin || !p.Write || p.Token != "" || strings.Join(p.Lists, " ") != "beta news" {
		t.Fatalf("principal %+v", p)
	}
	if !p.CanSee("news") || p.CanSee("other") || p.CanChange("other") == nil || p.Operator() != "console:alex@example.org" {
		t.Fatalf("rights of %+v", p)
	}
	if len(s.ID) != 43 || len(s.CSRF) != 43 || s.ID == s.CSRF || !s.Expires.Equal(e.clk.Now().Add(12*time.Hour)) ||
		!s.IdleExpires.Equal(e.clk.Now().Add(30*time.Minute)) {
		t.Fatalf("session %+v", s)
	}
	_, errPw := e.svc.Login(ctx, "alex@example.org", pw+"!", "192.0.2.1")
	_, errAddr := e.svc.Login(ctx, "nobody@example.org", pw, "192.0.2.1")
	if fault.CodeOf(errPw) != fault.Unauthenticated || errPw.Error() != errAddr.Error() || fault.CodeOf(errAddr) != fault.Unauthenticated {
		t.Fatalf("wrong password %v, wrong address %v", errPw, errAddr)
	}
	if strings.Contains(errPw.Error(), pw) {
		t.Fatal("the password is in the error")
	}
	if a, _ := e.db.Account(ctx, "alex@example.org"); a.LastLogin == nil {
		t.Fatal("the login time was not kept")
	}
	e.password("site@example.org", pw, nil)
	e.password("root@example.org", pw, ptr(true))
	for _, who := range []string{"Site@Example.org", "root@example.org"} {
		if s, err := e.svc.Login(ctx, who, pw, ""); err != nil || !s.Principal.Admin || !s.Principal.CanSee("other") {
			t.Fatalf("%s: %+v %v", who, s.Principal, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestSetPasswordRules: short passwords are refused, saying so; the
// password is stored as argon2id, never in clear, nor in the audit log.
func TestSetPasswordRules(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	err := e.svc.SetPassword(ctx, "alex@example.org", "elevenchars", nil, operator)
	if fault.CodeOf(err) != fault.Invalid || !strings.Contains(err.Error(), "at least 12") || strings.Contains(err.Error(), "elevenchars") {
		t.Fatalf("short password: %v", err)
	}
	if err := e.svc.SetPassword(ctx, "not an address", pw, nil, operator); fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("bad address: %v", err)
	}
	e.password("alex@example.org", "ünïcödé-pass", nil) // 12 characters, more bytes
	a, _ := e.db.Account(ctx, "alex@example.org")
	if !strings.HasPrefix(a.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(a.PasswordHash, "pass") {
		t.Fatalf("stored %q", a.PasswordHash)
	}
	log, _ := e.db.AuditLog(ctx, nil, "alex@example.org")
	if len(log) != 1 || log[0].Action != "owner-password-set" || log[0].Operator != "tester" || strings.Contains(log[0].Reason, "pass") {
		t.Fatalf("audit %+v", log)
	}
}

// TestBcryptUpgraded: a bcrypt hash (from another system) logs in, and is
// replaced by argon2id with the same password.
func TestBcryptUpgraded(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.password("alex@example.org", pw, nil)
	if err := e.db.RehashPassword(ctx, "alex@example.org", bcryptOf(t, pw)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Login(ctx, "alex@example.org", pw, ""); err != nil {
		t.Fatalf("bcrypt login: %v", err)
	}
	if a, _ := e.db.Account(ctx, "alex@example.org"); !strings.HasPrefix(a.PasswordHash, "$argon2id$") {
		t.Fatalf("not upgraded: %q", a.PasswordHash)
	}
	if _, err := e.svc.Login(ctx, "alex@example.org", pw, ""); err != nil {
		t.Fatalf("after the upgrade: %v", err)
	}
}

// TestSessionLifetime: a session lives while used within the idle
// timeout, renewed at each use, and ends at the absolute limit however
// busy; one left idle ends; logout ends one at once.
func TestSessionLifetime(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.password("alex@example.org", pw, nil)
	s, _ := e.svc.Login(ctx, "alex@example.org", pw, "")
	for range 23 { // 23 × 29 minutes: 11 h 7 min, inside 12 hours
		e.clk.Advance(29 * time.Minute)
		got, err := e.svc.Session(ctx, s.ID)
		if err != nil {
			t.Fatalf("at %v: %v", e.clk.Now(), err)
		}
		if !got.IdleExpires.Equal(e.clk.Now().Add(30*time.Minute)) || got.CSRF != s.CSRF || got.Principal.Name != "alex@example.org" {
			t.Fatalf("renewed session %+v", got)
		}
	}
	e.clk.Advance(29 * time.Minute) // 11 h 36 min: the idle expiry stops at the absolute one
	if got, err := e.svc.Session(ctx, s.ID); err != nil || !got.IdleExpires.Equal(s.Expires) {
		t.Fatalf("near the end: %+v %v", got, err)
	}
	e.clk.Advance(24 * time.Minute)
	if _, err := e.svc.Session(ctx, s.ID); fault.CodeOf(err) != fault.Unauthenticated {
		t.Fatalf("after 12 hours: %v", err)
	}
	idle, _ := e.svc.Login(ctx, "alex@example.org", pw, "")
	e.clk.Advance(30 * time.Minute)
	if _, err := e.svc.Session(ctx, idle.ID); fault.CodeOf(err) != fault.Unauthenticated {
		t.Fatalf("idle 30 minutes: %v", err)
	}
	out, _ := e.svc.Login(ctx, "alex@example.org", pw, "")
	if err := e.svc.Logout(ctx, out.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Session(ctx, out.ID); fault.CodeOf(err) != fault.Unauthenticated || strings.Contains(err.Error(), out.ID) {
		t.Fatalf("after logout: %v", err)
	}
	if _, err := e.svc.Session(ctx, ""); fault.CodeOf(err) != fault.Unauthenticated {
		t.Fatalf("no cookie: %v", err)
	}
}

// TestCSRFAndCookies: the session's token passes, any other (or none) is
// Forbidden; the cookie is HttpOnly, SameSite=Strict, Secure when asked.
func TestCSRFAndCookies(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.password("alex@example.org", pw, nil)
	s, _ := e.svc.Login(ctx, "alex@example.org", pw, "")
	other, _ := e.svc.Login(ctx, "alex@example.org", pw, "")
	if err := e.svc.CheckCSRF(s, s.CSRF); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", other.CSRF, s.CSRF[:42], s.CSRF + "x", s.ID} {
		if err := e.svc.CheckCSRF(s, bad); fault.CodeOf(err) != fault.Forbidden {
			t.Errorf("CSRF %q: %v", bad, err)
		}
	}
	if err := e.svc.CheckCSRF(auth.Session{}, ""); fault.CodeOf(err) != fault.Forbidden {
		t.Errorf("an empty session's empty token: %v", err)
	}
	for _, secure := range []bool{false, true} {
		c := e.svc.CookieFor(s, secure)
		if c.Name != auth.CookieName || c.Value != s.ID || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode ||
			c.Secure != secure || !c.Expires.Equal(s.Expires) {
			t.Errorf("cookie %+v", c)
		}
		clear := e.svc.ClearCookie(secure)
		if clear.Name != auth.CookieName || clear.Value != "" || clear.MaxAge >= 0 || clear.Secure != secure || !clear.HttpOnly {
			t.Errorf("clearing cookie %+v", clear)
		}
		if line := clear.String(); !strings.Contains(line, "Max-Age=0") || !strings.Contains(line, "SameSite=Strict") {
			t.Errorf("Set-Cookie: %s", line)
		}
	}
}
