package console_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
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
// form, watch a running send's numbers change without a reload, pause and
// resume it, log out; at 375 px no page scrolls sideways, and no page
// breaks the Content-Security-Policy.
func TestConsoleInBrowser(t *testing.T) {
	e := newEnvAt(t, "http://127.0.0.1")
	for i := range 30 {
		e.member(e.bpf, fmt.Sprintf("a-rather-long-address-of-reader-%02d@subdomain.example.org", i), store.Active)
	}
	s := e.startSend(e.bpf, "issue-09", 3, 1)
	ctx := browsertest.New(t)
	checkCSP := func(where string) {
		if v := violations(ctx, t, where); len(v) > 0 {
			t.Errorf("%s: CSP violations %v", where, v)
		}
	}
	watchCSP(ctx, t)
	err := chromedp.Do(ctx, chromedp.EmulateViewport(1024, 800),
		chromedp.Navigate(e.ts.URL+"/lists/bpf-updates"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), alice),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS("svg.chart")),
	)
	if err != nil {
		t.Fatal(err)
	}
	fill, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("svg.chart rect.up")).fill`))
	if err != nil {
		t.Fatal(err)
	}
	if fill == "" || fill == "rgb(0, 0, 0)" {
		t.Errorf("the chart's bars are %q: the stylesheet did not colour them", fill)
	}
	checkCSP("list page")
	shot(ctx, t, "console-list-1024px.png")

	err = chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/lists/bpf-updates/members"),
		chromedp.WaitVisible(chromedp.ID("address")),
		chromedp.SendKeys(chromedp.ID("address"), "zoe@example.org"),
		chromedp.SendKeys(chromedp.ID("name"), "Zoe"),
		chromedp.Submit(chromedp.ID("address")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if st := e.status(e.bpf, "zoe@example.org"); st != store.Active {
		t.Errorf("zoe is %q after the form's add", st)
	}
	checkCSP("member page")

	// Live progress: the numbers follow the send without a reload.
	err = chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/sends/%d", e.ts.URL, s.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-count="sent"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector("#progress").hasAttribute("data-updated")`, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("the send page's script never got an event: %v", err)
	}
	e.deliver(s, 2)
	err = chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-count="sent"]').textContent === "3"`, chromedp.WithPollingTimeout(20*time.Second)))
	sent, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-count="sent"]`)))
	if err != nil || sent != "3" {
		t.Errorf("sent count on the page: %q, %v", sent, err)
	}
	checkCSP("send page")
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action$="/pause"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/resume"] button`)))
	if err != nil || !e.send(s.ID).Paused {
		t.Fatalf("pause in the browser: %v, paused %v", err, e.send(s.ID).Paused)
	}
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action$="/resume"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/pause"] button`)))
	if err != nil || e.send(s.ID).Paused {
		t.Fatalf("resume in the browser: %v, paused %v", err, e.send(s.ID).Paused)
	}

	for _, path := range []string{"/", "/lists/bpf-updates/members", "/lists/bpf-updates/members/zoe@example.org", fmt.Sprintf("/sends/%d", s.ID), "/sends", "/lists/bpf-updates/import", "/schedule"} {
		err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 800), chromedp.Navigate(e.ts.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
		widths, err2 := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[document.documentElement.scrollWidth, window.innerWidth]`))
		if err = errors.Join(err, err2); err != nil {
			t.Fatalf("%s at 375 px: %v", path, err)
		}
		if widths[0] > 375 {
			t.Errorf("%s at 375 px: the page is %.0f px wide", path, widths[0])
		}
		checkCSP(path + " at 375 px")
		if path == "/lists/bpf-updates/members" {
			shot(ctx, t, "console-members-375px.png")
		}
	}

	err = chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/"), chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("password")))
	if err != nil {
		t.Fatalf("logout: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/sends"), chromedp.WaitVisible(chromedp.ID("password"))); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if loc != e.ts.URL+"/login?next=%2Fsends" {
		t.Errorf("after logout /sends goes to %q", loc)
	}
}

func shot(ctx context.Context, t *testing.T, name string) {
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(browsertest.ArtifactPath(t, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
