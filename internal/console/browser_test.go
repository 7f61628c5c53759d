package console_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"mailer/internal/browsertest"
	"mailer/internal/store"
)

// cspWatch records every securitypolicyviolation event of every page
// (added before the page's own scripts run; DevTools' scripts are not
// subject to the page's policy).
const cspWatch = `window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective + " " + e.blockedURI); });`

func watchCSP(ctx context.Context, t *testing.T) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch}); err != nil {
		t.Fatal(err)
	}
}

// violations are the page's CSP violations so far.
func violations(ctx context.Context, t *testing.T, where string) []string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp || ["no watcher"]`))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return v
}

// The watcher sees a violation when there is one: a page with an inline
// style under the console's own policy.
func TestCSPWatcherSeesViolations(t *testing.T) {
	e := newEnv(t)
	policy := e.get("/login", "").header.Get("Content-Security-Policy")
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		fmt.Fprint(w, `<!DOCTYPE html><p style="color: red" id="p">inline style</p>`)
	}))
	defer bad.Close()
	ctx := browsertest.New(t)
	watchCSP(ctx, t)
	if err := chromedp.Do(ctx, chromedp.Navigate(bad.URL), chromedp.WaitVisible(chromedp.ID("p"))); err != nil {
		t.Fatal(err)
	}
	if v := violations(ctx, t, "control page"); len(v) == 0 {
		t.Error("an inline style under the console's policy raised no violation: the watcher sees nothing")
	}
}

// In headless Chromium: log in, see the chart, add a member with the
// form, a form with a forged CSRF token and another owner's list refused,
// watch a running send's numbers change without a reload, pause and
// resume it, log out; at 375 px no page scrolls sideways, and no page
// breaks the Content-Security-Policy.
func TestConsoleInBrowser(t *testing.T) {
	e := newEnvAt(t, "http://127.0.0.1")
	for i := range 30 {
		e.member(e.bpf, fmt.Sprintf("a-rather-long-address-of-reader-%02d@subdomain.example.org", i), store.Active)
	}
	s := e.startSend(e.bpf, "issue-09", 3, 1)
	b := &tab{t: t, e: e, ctx: browsertest.New(t)}
	watchCSP(b.ctx, t)
	b.login()
	b.addMember("zoe@example.org", "Zoe")
	b.forgedForm("zoe@example.org")
	b.othersList()
	b.liveSend(s)
	b.pingHook()
	for _, path := range []string{"/", "/lists/bpf-updates/members", "/lists/bpf-updates/members/zoe@example.org",
		fmt.Sprintf("/sends/%d", s.ID), "/sends", "/lists/bpf-updates/import", "/schedule", "/hooks"} {
		b.narrow(path)
	}
	b.logout()
}

// tab is the browser's tab on the env's console.
type tab struct {
	t   *testing.T
	e   *env
	ctx context.Context
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *tab) checkCSP(where string) {
	b.t.Helper()
	if v := violations(b.ctx, b.t, where); len(v) > 0 {
		b.t.Errorf("%s: CSP violations %v", where, v)
	}
}

// login follows the redirect to the login form, logs in, comes back to
// the list page and sees its chart coloured by the stylesheet.
func (b *tab) login() {
	b.do("log in", chromedp.EmulateViewport(1024, 800),
		chromedp.Navigate(b.e.ts.URL+"/lists/bpf-updates"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), alice),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	fill, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("svg.chart rect.up")).fill`))
	if err != nil {
		b.t.Fatal(err)
	}
	if fill == "" || fill == "rgb(0, 0, 0)" {
		b.t.Errorf("the chart's bars are %q: the stylesheet did not colour them", fill)
	}
	b.checkCSP("list page")
	browsertest.Screenshot(b.ctx, b.t, "console-list-1024px.png")
}

func (b *tab) addMember(addr, name string) {
	b.do("add a member", chromedp.Navigate(b.e.ts.URL+"/lists/bpf-updates/members"),
		chromedp.WaitVisible(chromedp.ID("address")),
		chromedp.SendKeys(chromedp.ID("address"), addr),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.Submit(chromedp.ID("address")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if st := b.e.status(b.e.bpf, addr); st != store.Active {
		b.t.Errorf("%s is %q after the form's add", addr, st)
	}
	b.checkCSP("member page")
}

// forgedForm submits the member page's remove form with its CSRF token
// changed: refused (the browser shows the refusal), and addr stays.
func (b *tab) forgedForm(addr string) {
	b.do("a forged remove form", chromedp.Navigate(b.e.ts.URL+"/lists/bpf-updates/members/"+addr),
		chromedp.WaitVisible(chromedp.ID("reason")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form.stack input[name="csrf"]').value = "forged"`),
		chromedp.Submit(chromedp.ID("reason")))
	b.do("the refusal", chromedp.WaitNotPresent(chromedp.ID("reason")), chromedp.WaitVisible(chromedp.CSS("h1")))
	text, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil || !strings.Contains(text, "did not come from the console") {
		b.t.Errorf("the forged form's answer: %q %v", text, err)
	}
	if st := b.e.status(b.e.bpf, addr); st != store.Active {
		b.t.Errorf("%s is %q after a forged form", addr, st)
	}
	b.checkCSP("refused form")
}

// othersList opens bob's list as alice: not found, as a list that does
// not exist, and nothing of it on the page.
func (b *tab) othersList() {
	b.do("another owner's list", chromedp.Navigate(b.e.ts.URL+"/lists/kernel-news"), chromedp.WaitVisible(chromedp.CSS("h1")))
	text, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		b.t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(text), "not found") || strings.Contains(text, "Kernel news") {
		b.t.Errorf("alice sees bob's list: %q", text)
	}
}

// liveSend watches the send's numbers follow it without a reload, then
// pauses and resumes it with the page's buttons.
func (b *tab) liveSend(s *store.Send) {
	b.do("the send page's script gets an event", chromedp.Navigate(fmt.Sprintf("%s/sends/%d", b.e.ts.URL, s.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-count="sent"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector("#progress").hasAttribute("data-updated")`, chromedp.WithPollingTimeout(20*time.Second)))
	b.e.deliver(s, 2)
	err := chromedp.Do(b.ctx,
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-count="sent"]').textContent === "3"`, chromedp.WithPollingTimeout(20*time.Second)))
	sent, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(`[data-count="sent"]`)))
	if err != nil || sent != "3" {
		b.t.Errorf("sent count on the page: %q, %v", sent, err)
	}
	b.checkCSP("send page")
	b.do("pause", chromedp.Click(chromedp.CSS(`form[action$="/pause"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/resume"] button`)))
	if !b.e.send(s.ID).Paused {
		b.t.Fatal("the pause button did not pause the send")
	}
	b.do("resume", chromedp.Click(chromedp.CSS(`form[action$="/resume"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/pause"] button`)))
	if b.e.send(s.ID).Paused {
		b.t.Fatal("the resume button did not resume the send")
	}
}

// pingHook presses a hook's ping button on /hooks: the receiver gets the
// ping and the page shows its attempt.
func (b *tab) pingHook() {
	recv, n := receiver(b.t, http.StatusNoContent)
	h := b.e.hook(recv.URL+"/a-rather-long-path/of/a/receiver/that/takes/its/token/in/the/url/0123456789abcdef", b.e.bpf)
	b.do("ping a hook", chromedp.Navigate(b.e.ts.URL+"/hooks"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/hooks/%d/test"] button`, h.ID))),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if n.Load() != 1 {
		b.t.Errorf("the ping button sent %d requests, want 1", n.Load())
	}
	if txt, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(fmt.Sprintf("#hook-%d table", h.ID)))); !strings.Contains(txt, "HTTP 204") {
		b.t.Errorf("after the ping the hook's attempts read %q", txt)
	}
	b.checkCSP("hooks page")
}

// narrow loads path at a phone's width: the page must not be wider.
func (b *tab) narrow(path string) {
	b.do(path+" at 375 px", chromedp.EmulateViewport(375, 800), chromedp.Navigate(b.e.ts.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
	widths, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		b.t.Fatalf("%s at 375 px: %v", path, err)
	}
	if widths[0] > 375 {
		b.t.Errorf("%s at 375 px: the page is %.0f px wide", path, widths[0])
	}
	b.checkCSP(path + " at 375 px")
	name := strings.NewReplacer("/", "-", "@", "-").Replace(strings.Trim(path, "/"))
	browsertest.Screenshot(b.ctx, b.t, "console-"+cmp.Or(name, "lists")+"-375px.png")
}

func (b *tab) logout() {
	b.do("log out", chromedp.Navigate(b.e.ts.URL+"/"), chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.ID("password")))
	b.do("a page after logout", chromedp.Navigate(b.e.ts.URL+"/sends"), chromedp.WaitVisible(chromedp.ID("password")))
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	if loc != b.e.ts.URL+"/login?next=%2Fsends" {
		b.t.Errorf("after logout /sends goes to %q", loc)
	}
}
