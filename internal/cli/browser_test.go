package cli

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mailer/internal/browsertest"
)

// TestWebInBrowser drives headless Chromium against `mailer serve` on
// 127.0.0.1: it opens the unsubscribe link of a message actually delivered
// to the test SMTP server and clicks the button, then fills in the
// subscribe form and follows the link in the delivered confirmation mail.
// The database is checked after each, and screenshots are kept.
func TestWebInBrowser(t *testing.T) {
	e, srv := newSendEnv(t, 2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	e.env["MAILER_BASE_URL"] = base
	startServeAll(t, e, addr)
	e.mustRun("send", "issue-06", "--yes")

	unsub := ""
	for _, m := range srv.Messages() {
		if m.To[0] == "alice@example.org" {
			msg, _ := mail.ReadMessage(bytes.NewReader(m.Data))
			if u := regexp.MustCompile(`<(http://[^>]+/u/[a-z2-7]+)>`).FindStringSubmatch(msg.Header.Get("List-Unsubscribe")); u != nil {
				unsub = u[1]
			}
		}
	}
	if !strings.HasPrefix(unsub, base+"/u/") {
		t.Fatalf("no unsubscribe link to %s in alice's message", base)
	}

	ctx := browsertest.New(t)
	shot := func(name string) {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		os.WriteFile(browsertest.ArtifactPath(t, name+".png"), png, 0o644)
	}
	heading := func() string {
		h, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(h)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// Unsubscribe from the link in the delivered issue.
	step("open unsubscribe link", chromedp.EmulateViewport(375, 800), chromedp.Navigate(unsub), chromedp.WaitVisible(chromedp.CSS("button")))
	if h := heading(); h != "Unsubscribe from BPF updates?" {
		t.Fatalf("unsubscribe page heading %q", h)
	}
	shot("web-unsubscribe-375px")
	if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "active"); !strings.Contains(out, "alice@example.org") {
		t.Fatal("opening the link unsubscribed alice")
	}
	step("click unsubscribe", chromedp.Click(chromedp.CSS("button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("form[action$='/resubscribe']")))
	if h := heading(); h != "You are unsubscribed" {
		t.Fatalf("after the click: %q", h)
	}
	shot("web-unsubscribed-375px")
	if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "unsubscribed"); !strings.Contains(out, "alice@example.org") {
		t.Fatalf("alice is not unsubscribed:\n%s", out)
	}

	// Subscribe with the form, confirm with the link from the delivered mail.
	step("open form", chromedp.EmulateViewport(800, 900), chromedp.Navigate(base+"/subscribe/bpf-updates"), chromedp.WaitVisible(chromedp.CSS("#email")))
	shot("web-subscribe-form-800px")
	step("fill in form", chromedp.SendKeys(chromedp.CSS("#email"), "newbie@example.org"), chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("span.address")))
	if h := heading(); h != "Check your mailbox" {
		t.Fatalf("after the form: %q", h)
	}
	shot("web-subscribe-sent-800px")
	link := ""
	deadline := time.Now().Add(5 * time.Second)
	for link == "" && time.Now().Before(deadline) {
		for _, m := range srv.Messages() {
			if m.To[0] != "newbie@example.org" {
				continue
			}
			msg, _ := mail.ReadMessage(bytes.NewReader(m.Data))
			b, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
			if mm := regexp.MustCompile(regexp.QuoteMeta(base) + `/confirm/[a-z2-7]+`).FindString(string(b)); mm != "" {
				link = mm
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if link == "" {
		t.Fatal("no confirmation mail with a link reached the SMTP server")
	}
	if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "pending"); !strings.Contains(out, "newbie@example.org") {
		t.Fatalf("newbie not pending:\n%s", out)
	}
	step("open confirmation link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("button")))
	shot("web-confirm-800px")
	step("confirm", chromedp.Click(chromedp.CSS("button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("main a[href$='/archive/bpf-updates/']")))
	if h := heading(); h != "You are subscribed" {
		t.Fatalf("after confirming: %q", h)
	}
	shot("web-confirmed-800px")
	if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "active"); !strings.Contains(out, "newbie@example.org") {
		t.Fatalf("newbie is not active:\n%s", out)
	}

	// The archive shows the sent issue, and no page scrolls sideways on a phone.
	step("archive", chromedp.EmulateViewport(375, 800), chromedp.Navigate(base+"/archive/"), chromedp.WaitVisible(chromedp.CSS("ul.issues a")))
	shot("web-archive-375px")
	for _, path := range []string{"/archive/", "/archive/bpf-updates/issue-06", "/subscribe/bpf-updates"} {
		step("open "+path, chromedp.Navigate(base+path))
		w, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[document.documentElement.scrollWidth, window.innerWidth]`))
		if err != nil {
			t.Fatal(err)
		}
		if w[0] > w[1] {
			t.Errorf("%s is %.0f px wide at 375 px", path, w[0])
		}
	}
}
