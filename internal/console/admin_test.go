package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"mailer/internal/admin"
	"mailer/internal/delivery"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// The console as `mailer serve --admin` mounts it: the graph's own
// console part (app.App.Admin) behind the admin listener's handler, its
// logins those of the store (App.Auth, as `mailer owners password` sets them).
func TestThroughAdminListener(t *testing.T) {
	e := newEnv(t)
	srv := smtptest.Start(t)
	tr, _ := smtpsend.New(smtpsend.Options{Host: srv.Host, Port: srv.Port, TLS: smtpsend.TLSNone})
	w := testwire.Build(t, e.db, delivery.Outbox{Transport: tr}, testwire.Options{})
	parts, err := w.App.Admin()
	if err != nil || parts.Console == nil {
		t.Fatalf("admin parts: %v, console %v", err, parts.Console)
	}
	ts := httptest.NewServer(admin.Handler(parts))
	defer ts.Close()
	if err := w.App.Auth.SetPassword(context.Background(), "carol@example.org", pw, nil, store.Evidence{Source: store.SourceAdmin, Operator: "test"}); err != nil {
		t.Fatal(err)
	}
	page, err := http.Get(ts.URL + "/lists/bpf-updates")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.Request.URL.Path != "/login" || !strings.Contains(string(body), `name="password"`) || page.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("unauthenticated page through the admin listener ends at %s:\n%s", page.Request.URL, body)
	}
	css := assetLink.FindStringSubmatch(string(body))
	if css == nil {
		t.Fatal("no stylesheet link on the login page")
	}
	st, err := http.Get(ts.URL + css[1])
	if err != nil {
		t.Fatal(err)
	}
	st.Body.Close()
	if st.StatusCode != http.StatusOK || !strings.HasPrefix(st.Header.Get("Cache-Control"), "public, max-age=31536000") {
		t.Errorf("the stylesheet through the admin listener: %d, Cache-Control %q", st.StatusCode, st.Header.Get("Cache-Control"))
	}
	res, err := http.DefaultTransport.RoundTrip(mustForm(t, ts.URL+"/login", url.Values{"email": {"carol@example.org"}, "password": {pw}}))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) != 1 {
		t.Fatalf("login through the admin listener: %d, cookies %v", res.StatusCode, res.Cookies())
	}
	req, _ := http.NewRequest("GET", ts.URL+"/", nil)
	req.AddCookie(res.Cookies()[0])
	home, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(home.Body)
	home.Body.Close()
	// carol owns no list: she sees none, and is told how she would.
	if home.StatusCode != http.StatusOK || !strings.Contains(string(body), "No list you may see") || strings.Contains(string(body), "BPF updates") {
		t.Errorf("home page of an owner of nothing: %d\n%s", home.StatusCode, body)
	}
}

func mustForm(t *testing.T, u string, form url.Values) *http.Request {
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
