package console_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"mailer/internal/auth"
	"mailer/internal/store"
)

// A page without a session sends the browser to log in, and back to the
// page afterwards; a change without a session is refused and changes
// nothing.
func TestUnauthenticatedRedirect(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/lists/bpf-updates/members?status=active", "/sends/1", "/schedule"} {
		a := e.get(path, "")
		want := "/login?next=" + url.QueryEscape(path)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != want {
			t.Errorf("GET %s: %d to %q, want 303 to %q", path, a.status, a.header.Get("Location"), want)
		}
	}
	a := e.get("/", "no-such-session")
	if a.status != http.StatusSeeOther {
		t.Errorf("GET / with an unknown session: %d, want 303", a.status)
	}
	if a := e.post("/lists/bpf-updates/members", "", url.Values{"address": {"carol@example.org"}}); a.status != http.StatusUnauthorized {
		t.Errorf("POST without a session: %d, want 401", a.status)
	}
	if st := e.status(e.bpf, "carol@example.org"); st != "" {
		t.Errorf("carol is %q after a POST without a session", st)
	}
	if a := e.get("/login?next=/lists/bpf-updates", ""); a.status != http.StatusOK || !strings.Contains(a.body, `name="next" value="/lists/bpf-updates"`) {
		t.Errorf("login page: %d, next not carried:\n%s", a.status, a.body)
	}
}

func TestLoginAndLogout(t *testing.T) {
	e := newEnv(t)
	wrong := e.post("/login", "", url.Values{"email": {alice}, "password": {"nope"}})
	unknown := e.post("/login", "", url.Values{"email": {"nobody@example.org"}, "password": {pw}})
	const msg = "That address and password do not match an owner&#39;s login."
	for _, a := range []answer{wrong, unknown} {
		if a.status != http.StatusUnauthorized || !strings.Contains(a.body, msg) {
			t.Errorf("failed login: %d, want 401 with %q:\n%s", a.status, msg, a.body)
		}
		if len(a.header.Values("Set-Cookie")) != 0 {
			t.Errorf("failed login set a cookie: %v", a.header.Values("Set-Cookie"))
		}
	}

	// The next path is kept only when it is local.
	for next, want := range map[string]string{"/sends/3": "/sends/3", "//evil.example/x": "/", "https://evil.example/": "/", "/\\evil.example": "/"} {
		a := e.post("/login", "", url.Values{"email": {bob}, "password": {pw}, "next": {next}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != want {
			t.Errorf("login with next %q: %d to %q, want %q", next, a.status, a.header.Get("Location"), want)
		}
		c := (&http.Response{Header: a.header}).Cookies()
		if len(c) != 1 || c[0].Name != auth.CookieName || !c[0].HttpOnly || !c[0].Secure || c[0].SameSite != http.SameSiteStrictMode {
			t.Errorf("session cookie over an https base URL: %+v", c)
		}
	}

	req, _ := http.NewRequest("POST", e.ts.URL+"/login", strings.NewReader(url.Values{"email": {alice}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("a login posted from another site: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}

	cookie := e.login(alice)
	if a := e.get("/", cookie); a.status != http.StatusOK || !strings.Contains(a.body, "Log out "+alice) {
		t.Fatalf("GET / logged in: %d\n%s", a.status, a.body)
	}
	if a := e.post("/logout", cookie, nil); a.status != http.StatusForbidden {
		t.Errorf("logout without the CSRF token: %d, want 403", a.status)
	}
	if a := e.get("/", cookie); a.status != http.StatusOK {
		t.Errorf("a refused logout ended the session: %d", a.status)
	}
	a := e.post("/logout", cookie, url.Values{"csrf": {e.csrf(cookie)}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/login" {
		t.Errorf("logout: %d to %q", a.status, a.header.Get("Location"))
	}
	if c := (&http.Response{Header: a.header}).Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
		t.Errorf("logout does not clear the cookie: %+v", c)
	}
	if a := e.get("/", cookie); a.status != http.StatusSeeOther {
		t.Errorf("the session lives on after logout: %d", a.status)
	}
}

// A login slowed down after failures says how long to wait, in minutes,
// and sets Retry-After (RFC 9110 §10.2.3) in seconds.
func TestThrottledLogin(t *testing.T) {
	e := newEnv(t)
	for range auth.FreeFailures {
		e.post("/login", "", url.Values{"email": {alice}, "password": {"guess"}})
	}
	a := e.post("/login", "", url.Values{"email": {alice}, "password": {pw}})
	wait, _ := strconv.Atoi(a.header.Get("Retry-After"))
	if a.status != http.StatusServiceUnavailable || wait < 1 || wait > int(auth.FirstDelay.Seconds()) {
		t.Errorf("throttled login: %d, Retry-After %q; want 503, 1 to 30", a.status, a.header.Get("Retry-After"))
	}
	if len(a.header.Values("Set-Cookie")) != 0 {
		t.Error("a throttled login with the right password opened a session")
	}
	if !strings.Contains(a.body, "try again in 1 minute(s)") {
		t.Errorf("throttled login does not say when to try again:\n%s", a.body)
	}
}

func TestSecureCookieOnlyOverHTTPS(t *testing.T) {
	e := newEnvAt(t, "http://127.0.0.1:8081")
	a := e.post("/login", "", url.Values{"email": {alice}, "password": {pw}})
	if c := (&http.Response{Header: a.header}).Cookies(); len(c) != 1 || c[0].Secure || !c[0].HttpOnly {
		t.Errorf("session cookie over an http base URL: %+v", c)
	}
}

// A POST without the session's CSRF token, or with another session's, is
// 403 and changes nothing.
func TestCSRF(t *testing.T) {
	e := newEnv(t)
	cookie, other := e.login(alice), e.login(root)
	cases := map[string]url.Values{
		"missing": {"address": {"carol@example.org"}},
		"wrong":   {"address": {"carol@example.org"}, "csrf": {"0123456789abcdef"}},
		"another": {"address": {"carol@example.org"}, "csrf": {e.csrf(other)}},
	}
	for name, form := range cases {
		if a := e.post("/lists/bpf-updates/members", cookie, form); a.status != http.StatusForbidden {
			t.Errorf("%s token: %d, want 403", name, a.status)
		}
	}
	e.member(e.bpf, "dave@example.org", store.Active)
	if a := e.post("/lists/bpf-updates/members/dave@example.org/remove", cookie, url.Values{"csrf": {"x"}}); a.status != http.StatusForbidden {
		t.Errorf("remove with a wrong token: %d", a.status)
	}
	if st := e.status(e.bpf, "carol@example.org"); st != "" {
		t.Errorf("carol is %q after refused POSTs", st)
	}
	if st := e.status(e.bpf, "dave@example.org"); st != store.Active {
		t.Errorf("dave is %q after a refused remove", st)
	}
	a := e.post("/lists/bpf-updates/members", cookie, url.Values{"address": {"carol@example.org"}, "csrf": {e.csrf(cookie)}})
	if a.status != http.StatusSeeOther || e.status(e.bpf, "carol@example.org") != store.Active {
		t.Errorf("POST with the right token: %d, carol %q", a.status, e.status(e.bpf, "carol@example.org"))
	}
}
