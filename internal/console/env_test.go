package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/auth"
	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// cheap are argon2id's costs in the tests: a login is checked as in
// production, only with less memory and time.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}

// env is a console over a real socket on a real store with two lists:
// alice owns bpf-updates, bob owns kernel-news, root is a site admin.
type env struct {
	t    *testing.T
	db   *store.DB
	ts   *httptest.Server
	auth *auth.Service
	cfg  *config.Config
	bpf  *store.List
}

const (
	alice = "alice@example.org"
	bob   = "bob@example.org"
	root  = "root@example.org"
	pw    = "correct horse battery staple"
)

func newEnv(t *testing.T) *env { return newEnvAt(t, testwire.BaseURL) }

func newEnvAt(t *testing.T, baseURL string) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(t, "c.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, db: db, auth: auth.New(db, auth.Options{Idle: 30 * time.Minute, Max: 12 * time.Hour, Params: cheap})}
	e.bpf = e.list("bpf-updates", "BPF updates", alice)
	e.list("kernel-news", "Kernel news", bob)
	admin := true
	for _, who := range []string{alice, bob, root} {
		var flag *bool
		if who == root {
			flag = &admin
		}
		if err := e.auth.SetPassword(ctx, who, pw, flag, store.Evidence{Source: store.SourceAdmin, Operator: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	// The console as the program builds it (app.App.Console), on this
	// store; mailer's own mail would go to a test SMTP server.
	srv := smtptest.Start(t)
	tr, _ := smtpsend.New(smtpsend.Options{Host: srv.Host, Port: srv.Port, TLS: smtpsend.TLSNone})
	w := testwire.Build(t, db, delivery.Outbox{Transport: tr}, testwire.Options{})
	e.cfg = w.App.Config
	e.cfg.BaseURL = config.BaseURL(baseURL)
	e.cfg.IssuesDir = t.TempDir()
	e.cfg.SMTP.Host, e.cfg.SMTP.Port = "127.0.0.1", 1 // never dialled: a schedule only plans
	c, err := w.App.Console(e.auth, auth.RetryAfter)
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(c.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

func (e *env) list(name, title, owner string) *store.List {
	from, owners := "Alex <alex@example.org>", []string{owner}
	l, err := e.db.CreateList(context.Background(), name, store.ListSettings{Title: &title, From: &from, Owners: &owners})
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// member puts addr on list l with status st, as an owner's command would.
func (e *env) member(l *store.List, addr string, st store.Status) {
	e.t.Helper()
	a, err := address.Parse(addr)
	if err != nil {
		e.t.Fatal(err)
	}
	if st != store.Active {
		if _, err := e.db.SetStatus(context.Background(), l, a, store.Active, store.Evidence{Source: store.SourceAdmin, Operator: "test"}); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := e.db.SetStatus(context.Background(), l, a, st, store.Evidence{Source: store.SourceAdmin, Operator: "test"}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) status(l *store.List, addr string) store.Status {
	m, err := e.db.GetMember(context.Background(), l, addr)
	if fault.CodeOf(err) == fault.NotFound {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return m.Status
}

// answer is a response read whole.
type answer struct {
	status int
	body   string
	header http.Header
}

// do sends a request without following redirects; a 5xx but 503 (try
// again later) fails the test.
func (e *env) do(method, path, cookie string, body io.Reader, ctype string) answer {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
		e.t.Fatalf("%s %s: %d\n%s", method, path, resp.StatusCode, b)
	}
	return answer{resp.StatusCode, string(b), resp.Header}
}

func (e *env) get(path, cookie string) answer { return e.do("GET", path, cookie, nil, "") }

func (e *env) post(path, cookie string, form url.Values) answer {
	return e.do("POST", path, cookie, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// login logs in and returns the session cookie's value.
func (e *env) login(email string) string {
	e.t.Helper()
	a := e.post("/login", "", url.Values{"email": {email}, "password": {pw}})
	if a.status != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d\n%s", email, a.status, a.body)
	}
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == auth.CookieName {
			return c.Value
		}
	}
	e.t.Fatalf("login %s: no session cookie", email)
	return ""
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token the forms of a page carry.
func (e *env) csrf(cookie string) string {
	e.t.Helper()
	m := csrfField.FindStringSubmatch(e.get("/", cookie).body)
	if m == nil {
		e.t.Fatal("no CSRF field on /")
	}
	return m[1]
}

// issue writes an issue file for list into the issues directory.
func (e *env) issue(name, list, subject, body string) {
	src := "---\ntitle: " + subject + "\nlist: " + list + "\n---\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(e.cfg.IssuesDir, name+".md"), []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
}
