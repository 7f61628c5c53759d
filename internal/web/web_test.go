package web_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/delivery"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
	"mailer/internal/token"
	"mailer/internal/web"
	"mailer/templates"
)

type env struct {
	t      *testing.T
	db     *store.DB
	srv    *smtptest.Server
	signer *token.Signer
	ts     *httptest.Server
	list   *store.List
	pages  *web.Server
}

func newEnv(t *testing.T, proxies ...netip.Prefix) *env {
	return newEnvWith(t, testwire.Options{ConfirmTTL: time.Hour, Interval: time.Minute, PerAddressHour: 10, MailPerHour: 500,
		WebPerHour: 200}, proxies...)
}

func newEnvWith(t *testing.T, o testwire.Options, proxies ...netip.Prefix) *env {
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(t, "w.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	title, from := "BPF updates", "Alex <alex@example.org>"
	l, err := db.CreateList(ctx, "bpf-updates", store.ListSettings{Title: &title, From: &from})
	if err != nil {
		t.Fatal(err)
	}
	srv := smtptest.Start(t)
	tr, _ := smtpsend.New(smtpsend.Options{Host: srv.Host, Port: srv.Port, TLS: smtpsend.TLSNone})
	w := testwire.Build(t, db, delivery.Outbox{Transport: tr}, o)
	signer := w.Signer
	pages, err := web.New(db, w.Subs, web.Options{Book: testwire.Book, Looks: templates.Looks{},
		TrustedProxies: proxies, SubscribePerMinute: 5})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(pages.Handler())
	t.Cleanup(ts.Close)
	return &env{t: t, db: db, srv: srv, signer: signer, ts: ts, list: l, pages: pages}
}

func (e *env) member(addr string, st store.Status) string {
	ctx := context.Background()
	a, _ := address.Parse(addr)
	if _, err := e.db.SetStatus(ctx, listOf(e.t, e.db, "bpf-updates"), a, st, store.Evidence{Source: store.SourceAdmin}); err != nil {
		e.t.Fatal(err)
	}
	m, _ := e.db.GetMember(ctx, listOf(e.t, e.db, "bpf-updates"), addr)
	return e.signer.Make(token.Membership{ListID: e.list.ID, SubscriberID: m.SubscriberID})
}

func (e *env) status(addr string) store.Status {
	m, err := e.db.GetMember(context.Background(), listOf(e.t, e.db, "bpf-updates"), addr)
	if err != nil {
		return ""
	}
	return m.Status
}

// do sends a request without following redirects and returns status and body.
func (e *env) do(method, path string, body io.Reader, hdr ...string) (int, string, http.Header) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.ts.URL+path, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 && resp.StatusCode != 503 {
		e.t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
	for _, h := range []string{"Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options"} {
		if resp.Header.Get(h) == "" {
			e.t.Errorf("%s %s: no %s header", method, path, h)
		}
	}
	return resp.StatusCode, string(b), resp.Header
}

const form = "application/x-www-form-urlencoded"

func TestUnsubscribePage(t *testing.T) {
	e := newEnv(t)
	tok := e.member("alice@example.org", store.Active)
	code, body, hdr := e.do("GET", "/u/"+tok, nil)
	if code != 200 || !strings.Contains(body, "Unsubscribe <span class=\"address\">alice@example.org</span> from BPF updates?") {
		t.Fatalf("GET: %d\n%s", code, body)
	}
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "frame-ancestors 'none'") || hdr.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("headers %v", hdr)
	}
	if e.status("alice@example.org") != store.Active {
		t.Fatal("a GET unsubscribed")
	}
	code, body, _ = e.do("POST", "/u/"+tok, strings.NewReader(""), "Content-Type", form, "User-Agent", "TestBrowser/1.0")
	if code != 200 || !strings.Contains(body, "You are unsubscribed") || !strings.Contains(body, "/resubscribe") {
		t.Fatalf("POST: %d\n%s", code, body)
	}
	if e.status("alice@example.org") != store.Unsubscribed {
		t.Fatal("POST did not unsubscribe")
	}
	log, _ := e.db.AuditLog(context.Background(), listOf(e.t, e.db, "bpf-updates"), "alice@example.org")
	last := log[len(log)-1]
	if last.Source != store.SourceWeb || last.IP != "127.0.0.1" || last.UserAgent != "TestBrowser/1.0" {
		t.Fatalf("audit %+v", last)
	}
	// Again: the same page, no new audit row.
	if code, _, _ := e.do("POST", "/u/"+tok, strings.NewReader(""), "Content-Type", form); code != 200 {
		t.Fatalf("second POST: %d", code)
	}
	if log2, _ := e.db.AuditLog(context.Background(), listOf(e.t, e.db, "bpf-updates"), "alice@example.org"); len(log2) != len(log) {
		t.Fatal("a repeated unsubscribe wrote to the audit log")
	}
	code, body, _ = e.do("POST", "/u/"+tok+"/resubscribe", nil)
	if code != 200 || !strings.Contains(body, "Welcome back") || e.status("alice@example.org") != store.Active {
		t.Fatalf("resubscribe: %d %q", code, e.status("alice@example.org"))
	}
}

func TestOneClickUnsubscribe(t *testing.T) {
	e := newEnv(t)
	tok := e.member("bob@example.org", store.Active)
	for range 2 { // idempotent
		code, body, _ := e.do("POST", "/u/"+tok, strings.NewReader("List-Unsubscribe=One-Click"), "Content-Type", form)
		if code != 200 || body != "" {
			t.Fatalf("one-click: %d %q", code, body)
		}
	}
	if e.status("bob@example.org") != store.Unsubscribed {
		t.Fatal("one-click did not unsubscribe")
	}
	log, _ := e.db.AuditLog(context.Background(), listOf(e.t, e.db, "bpf-updates"), "bob@example.org")
	if !strings.Contains(log[len(log)-1].Reason, "RFC 8058") {
		t.Fatalf("audit %+v", log[len(log)-1])
	}
}

func TestBadTokensAndMethods(t *testing.T) {
	e := newEnv(t)
	tok := e.member("carol@example.org", store.Active)
	tampered := tok[:len(tok)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(tok, "a")]
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/u/" + tampered, 400},
		{"POST", "/u/" + tampered, 400},
		{"GET", "/u/not-a-token", 400},
		{"POST", "/u/" + e.signer.Make(token.Membership{ListID: e.list.ID, SubscriberID: 9999}), 404},
		{"PUT", "/u/" + tok, 405},
		{"DELETE", "/u/" + tok, 405},
		{"GET", "/u/" + tok + "/resubscribe", 405},
		{"PUT", "/subscribe/bpf-updates", 405},
		{"GET", "/confirm/unknowncode", 404},
		{"POST", "/confirm/unknowncode", 404},
		{"GET", "/subscribe/nosuchlist", 404},
		{"GET", "/archive/bpf-updates/nosuchissue", 404},
		{"GET", "/nothing/here", 404},
	} {
		if code, _, _ := e.do(c.method, c.path, nil); code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, code, c.want)
		}
	}
	if e.status("carol@example.org") != store.Active {
		t.Fatal("a bad request changed a membership")
	}
}

var confirmLink = regexp.MustCompile(`https://lists\.example\.org(/confirm/[a-z2-7]+)`)

// confirmationPath returns the web link from the last confirmation mail to addr.
func (e *env) confirmationPath(addr string) string {
	e.t.Helper()
	var path string
	for _, m := range e.srv.Messages() {
		if m.To[0] != addr {
			continue
		}
		msg, _ := mail.ReadMessage(bytes.NewReader(m.Data))
		b, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if mm := confirmLink.FindStringSubmatch(string(b)); mm != nil {
			path = mm[1]
		}
	}
	if path == "" {
		e.t.Fatalf("no confirmation mail to %s", addr)
	}
	return path
}

// subscribeForm GETs the form and returns the CSRF cookie and field.
func (e *env) subscribeForm() (cookie, field string) {
	e.t.Helper()
	resp, err := http.Get(e.ts.URL + "/subscribe/bpf-updates")
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "mailer_csrf" {
			cookie = c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				e.t.Fatalf("CSRF cookie %+v", c)
			}
		}
	}
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(string(b))
	if m == nil || cookie == "" || !strings.Contains(string(b), `<label for="email">`) {
		e.t.Fatalf("form:\n%s", b)
	}
	return cookie, m[1]
}

func (e *env) postForm(cookie, csrf, email, honeypot string, hdr ...string) (int, string) {
	v := url.Values{"csrf": {csrf}, "email": {email}, "website": {honeypot}}
	h := append([]string{"Content-Type", form, "Cookie", "mailer_csrf=" + cookie}, hdr...)
	code, body, _ := e.do("POST", "/subscribe/bpf-updates", strings.NewReader(v.Encode()), h...)
	e.pages.Wait() // the request's work runs after its page (see web's handoff)
	return code, body
}

func TestSubscribeFormAndConfirmPage(t *testing.T) {
	e := newEnv(t)
	cookie, csrf := e.subscribeForm()
	if code, _ := e.postForm("", csrf, "dan@example.org", ""); code != 403 {
		t.Fatalf("no cookie: %d", code)
	}
	if code, _ := e.postForm(cookie, "0000", "dan@example.org", ""); code != 403 {
		t.Fatalf("wrong CSRF value: %d", code)
	}
	if code, body := e.postForm(cookie, csrf, "not an address", ""); code != 422 || !strings.Contains(body, "invalid address") {
		t.Fatalf("bad address: %d", code)
	}
	if code, body := e.postForm(cookie, csrf, "bot@example.org", "http://spam.example"); code != 200 || !strings.Contains(body, "Check your mailbox") {
		t.Fatalf("honeypot: %d", code)
	}
	if e.status("bot@example.org") != "" || len(e.srv.Messages()) != 0 {
		t.Fatal("the honeypot let a bot subscribe")
	}
	code, body := e.postForm(cookie, csrf, "dan@example.org", "")
	if code != 200 || !strings.Contains(body, "Check your mailbox") || e.status("dan@example.org") != store.Pending {
		t.Fatalf("subscribe: %d %q\n%s", code, e.status("dan@example.org"), body)
	}
	path := e.confirmationPath("dan@example.org")
	code, body, _ = e.do("GET", path, nil)
	if code != 200 || !strings.Contains(body, "Subscribe <span class=\"address\">dan@example.org</span> to BPF updates?") {
		t.Fatalf("confirm page: %d\n%s", code, body)
	}
	if e.status("dan@example.org") != store.Pending {
		t.Fatal("a GET confirmed")
	}
	code, body, _ = e.do("POST", path, nil)
	if code != 200 || !strings.Contains(body, "You are subscribed") || e.status("dan@example.org") != store.Active {
		t.Fatalf("confirm: %d %q", code, e.status("dan@example.org"))
	}
	// A second click: done is done, and nothing more is written.
	code, body, _ = e.do("POST", path, nil)
	if code != 200 || !strings.Contains(body, "You are subscribed") {
		t.Fatalf("second click: %d\n%s", code, body)
	}
	log, _ := e.db.AuditLog(context.Background(), listOf(e.t, e.db, "bpf-updates"), "dan@example.org")
	if len(log) != 2 || log[0].Source != store.SourceWeb || log[0].IP == "" || log[1].Source != store.SourceWeb {
		t.Fatalf("audit %+v", log)
	}
	// Once dan has left, the old code is spent for good.
	e.member("dan@example.org", store.Unsubscribed)
	code, body, _ = e.do("POST", path, nil)
	if code != 410 || !strings.Contains(body, "already used") || !strings.Contains(body, "/subscribe/bpf-updates") {
		t.Fatalf("used code: %d\n%s", code, body)
	}
	if e.status("dan@example.org") != store.Unsubscribed {
		t.Fatal("a used code subscribed again")
	}
}

func TestSubscribeRateLimitAndProxies(t *testing.T) {
	e := newEnv(t, netip.MustParsePrefix("127.0.0.0/8"))
	cookie, csrf := e.subscribeForm()
	// Behind a trusted proxy each client has its own budget...
	for i := range 5 {
		if code, _ := e.postForm(cookie, csrf, "x@example.org", "", "X-Forwarded-For", "198.51.100.7"); code == 429 {
			t.Fatalf("limited after %d posts", i)
		}
	}
	if code, _ := e.postForm(cookie, csrf, "x@example.org", "", "X-Forwarded-For", "198.51.100.7"); code != 429 {
		t.Fatalf("sixth post a minute: %d, want 429", code)
	}
	if code, _ := e.postForm(cookie, csrf, "y@example.org", "", "X-Forwarded-For", "198.51.100.8"); code == 429 {
		t.Fatal("another client behind the proxy was limited")
	}
	// ...and a client that is not a trusted proxy cannot choose its address.
	e2 := newEnv(t)
	cookie2, csrf2 := e2.subscribeForm()
	for i := range 6 {
		code, _ := e2.postForm(cookie2, csrf2, "z@example.org", "", "X-Forwarded-For", "203.0.113."+string(rune('1'+i)))
		if i == 5 && code != 429 {
			t.Fatalf("an untrusted X-Forwarded-For escaped the limit: %d", code)
		}
	}
}

func TestArchiveAndFeed(t *testing.T) {
	e := newEnv(t)
	if code, body, _ := e.do("GET", "/archive/", nil); code != 200 || !strings.Contains(body, "No issues have been sent yet") {
		t.Fatalf("empty archive: %d", code)
	}
	ctx := context.Background()
	e.db.SaveArchive(ctx, e.list.ID, store.ArchivedIssue{Slug: "issue-05", Title: "BPF updates 05", Date: time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC), HTML: "<html><body>five</body></html>"})
	e.db.SaveArchive(ctx, e.list.ID, store.ArchivedIssue{Slug: "issue-06", Title: "BPF updates 06", Summary: "BPF and XDP", Date: time.Date(2017, 6, 8, 0, 0, 0, 0, time.UTC), HTML: "<html><body>six</body></html>",
		Content: `<p>Six: <a href="https://lists.example.org/archive/bpf-updates/issue-06/img/v.png">v</a> &amp; more</p>`})
	code, body, _ := e.do("GET", "/archive/", nil)
	if code != 200 || strings.Index(body, "BPF updates 06") > strings.Index(body, "BPF updates 05") || strings.Index(body, "BPF updates 06") < 0 {
		t.Fatalf("archive not newest first: %d\n%s", code, body)
	}
	if code, body, _ := e.do("GET", "/archive/bpf-updates/issue-06", nil); code != 200 || !strings.Contains(body, "six") {
		t.Fatalf("issue page: %d", code)
	}
	code, body, hdr := e.do("GET", "/archive/bpf-updates/feed.atom", nil)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %s", code, hdr.Get("Content-Type"))
	}
	var feed struct {
		Title   string `xml:"title"`
		Entries []struct {
			Title   string `xml:"title"`
			ID      string `xml:"id"`
			Content struct {
				Type string `xml:"type,attr"`
				Body string `xml:",chardata"`
			} `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatal(err)
	}
	if feed.Title != "BPF updates" || len(feed.Entries) != 2 || feed.Entries[0].ID != "https://lists.example.org/archive/bpf-updates/issue-06" {
		t.Fatalf("feed %+v", feed)
	}
	// The whole issue, as HTML an Atom reader shows (RFC 4287 type="html").
	if c := feed.Entries[0].Content; c.Type != "html" || !strings.HasPrefix(c.Body, `<p>Six: <a href="https://`) || !strings.Contains(c.Body, "&amp; more") {
		t.Fatalf("feed content %+v", c)
	}
	if code, body, _ := e.do("GET", "/healthz", nil); code != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
}

func TestExpiredConfirmationOffersToAskAgain(t *testing.T) {
	e := newEnv(t)
	past := time.Now().Add(-2 * time.Hour)
	if err := e.db.CreateConfirmation(context.Background(), "expiredcode", store.Confirmation{ListID: e.list.ID, Address: "old@example.org",
		Action: "subscribe", Source: store.SourceWeb, CreatedAt: past, ExpiresAt: past.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GET", "POST"} {
		code, body, _ := e.do(method, "/confirm/expiredcode", nil)
		if code != 410 || !strings.Contains(body, "expired") || !strings.Contains(body, `href="/subscribe/bpf-updates"`) {
			t.Fatalf("%s expired code: %d\n%s", method, code, body)
		}
	}
	if e.status("old@example.org") != "" {
		t.Fatal("an expired code changed a membership")
	}
}
