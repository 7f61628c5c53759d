package cli

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	confirmURL = regexp.MustCompile(`https?://[^/\s]+(/confirm/[a-z2-7]+)`)
)

// TestTwoServesOneDatabase: two `mailer serve` on one database (on the
// PostgreSQL run: the shared database of several machines), requests
// alternating between them: the subscribe form served by one is accepted
// by the other (its CSRF check), the per-address limit holds across them,
// a confirmation page from one confirms on the other, a one-click
// unsubscribe on one is seen by the other, and a mail command that came in
// over one's LMTP is confirmed over the other's.
func TestTwoServesOneDatabase(t *testing.T) {
	a := newLeaveEnv(t)
	bAddrs := startServeAll(t, a.testEnv, "127.0.0.1:0")
	b := &leaveEnv{testEnv: a.testEnv, srv: a.srv, lmtp: bAddrs[0], http: bAddrs[2]}
	jar, _ := cookiejar.New(nil)
	two := &twoServes{t: t, a: a, b: b, client: &http.Client{Jar: jar}}
	two.subscribeAcross()
	two.oneClickAcross()
	two.mailCommandAcross()
}

// twoServes is the test's two instances, A and B, and one browser's
// cookies for both.
type twoServes struct {
	t      *testing.T
	a, b   *leaveEnv
	client *http.Client
}

func (two *twoServes) page(method, base, path string, form url.Values) (int, string) {
	two.t.Helper()
	var resp *http.Response
	var err error
	if method == "GET" {
		resp, err = two.client.Get("http://" + base + path)
	} else {
		resp, err = two.client.PostForm("http://"+base+path, form)
	}
	if err != nil {
		two.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// mailsTo is the decoded bodies of the mails delivered to addr.
func (two *twoServes) mailsTo(addr string) []string {
	// The subscribe form's work runs after its page (web's handoff): give
	// it a moment.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && two.a.srv.ByRecipient()[addr] == 0; {
		time.Sleep(10 * time.Millisecond)
	}
	var out []string
	for _, m := range two.a.srv.Messages() {
		if m.To[0] == addr {
			_, body := decodedBody(two.t, m.Data)
			out = append(out, body)
		}
	}
	return out
}

// subscribe gets the subscribe form from formFrom and posts it for
// web@example.com to postTo.
func (two *twoServes) subscribe(formFrom, postTo string) int {
	two.t.Helper()
	_, form := two.page("GET", formFrom, "/subscribe/bpf-updates", nil)
	m := csrfField.FindStringSubmatch(form)
	if m == nil {
		two.t.Fatalf("no CSRF field in the form:\n%.500s", form)
	}
	code, _ := two.page("POST", postTo, "/subscribe/bpf-updates", url.Values{"email": {"web@example.com"}, "csrf": {m[1]}})
	return code
}

// subscribeAcross: A's form posts to B, the per-address limit holds
// across them, and A's confirmation page confirms on B.
func (two *twoServes) subscribeAcross() {
	t, a, b := two.t, two.a, two.b
	t.Helper()
	if code := two.subscribe(a.http, b.http); code != http.StatusOK {
		t.Fatalf("the form from A posted to B: %d", code)
	}
	two.mailsTo("web@example.com") // B's queue sent the first (the form's work runs after its page)
	two.subscribe(b.http, a.http)  // the same address again, on the other instance
	if n := len(two.mailsTo("web@example.com")); n != 1 {
		t.Fatalf("%d confirmation requests to one address across two instances, want 1", n)
	}
	m := confirmURL.FindStringSubmatch(two.mailsTo("web@example.com")[0])
	if m == nil {
		t.Fatal("no confirmation link")
	}
	if code, body := two.page("GET", a.http, m[1], nil); code != http.StatusOK || !strings.Contains(body, "<form") {
		t.Fatalf("confirmation page on A: %d", code)
	}
	if code, _ := two.page("POST", b.http, m[1], nil); code != http.StatusOK {
		t.Fatalf("confirming on B: %d", code)
	}
	if out := a.mustRun("subscribers", "ls", "bpf-updates", "--status", "active"); !strings.Contains(out, "web@example.com") {
		t.Fatalf("not active after confirming on B:\n%s", out)
	}
}

// oneClickAcross: one-click on A; B's page knows.
func (two *twoServes) oneClickAcross() {
	t, a, b := two.t, two.a, two.b
	t.Helper()
	tok := a.token(t, "web@example.com")
	if code, _ := two.page("POST", a.http, "/u/"+tok, url.Values{"List-Unsubscribe": {"One-Click"}}); code != http.StatusOK {
		t.Fatalf("one-click on A: %d", code)
	}
	if code, body := two.page("GET", b.http, "/u/"+tok, nil); code != http.StatusOK || !strings.Contains(strings.ToLower(body), "resubscribe") {
		t.Fatalf("B's unsubscribe page after A's one-click: %d\n%.600s", code, body)
	}
}

// mailCommandAcross: a mail command over A's LMTP, its confirmation over
// B's.
func (two *twoServes) mailCommandAcross() {
	t, a, b := two.t, two.a, two.b
	t.Helper()
	a.lmtpDeliver(t, "lmtp@example.com", "majordomo@lists.example.org", "From: lmtp@example.com\nSubject: x\nMessage-ID: <two-1@example.com>\n\nsubscribe bpf-updates\n")
	var ctok string
	for _, body := range two.mailsTo("lmtp@example.com") {
		if s := confirmToken.FindStringSubmatch(body); s != nil {
			ctok = s[1]
		}
	}
	if ctok == "" {
		t.Fatal("no confirmation for the mail command")
	}
	b.lmtpDeliver(t, "lmtp@example.com", "bpf-updates-confirm+"+ctok+"@lists.example.org", "From: lmtp@example.com\nSubject: Re: confirm\nMessage-ID: <two-2@example.com>\n\nyes\n")
	if out := a.mustRun("subscribers", "ls", "bpf-updates", "--status", "active"); !strings.Contains(out, "lmtp@example.com") {
		t.Fatalf("not active after confirming over B's LMTP:\n%s", out)
	}
}
