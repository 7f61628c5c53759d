package cli

import (
	"bytes"
	"context"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mailer/internal/browsertest"
	"mailer/internal/smtptest"
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

	unsub := unsubscribeLinkTo(srv, "alice@example.org")
	if !strings.HasPrefix(unsub, base+"/u/") {
		t.Fatalf("no unsubscribe link to %s in alice's message", base)
	}
	b := &browserRun{t: t, e: e, ctx: browsertest.New(t)}
	b.unsubscribe(unsub)
	b.subscribe(base)
	link := confirmLinkTo(t, srv, base, "newbie@example.org")
	if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "pending"); !strings.Contains(out, "newbie@example.org") {
		t.Fatalf("newbie not pending:\n%s", out)
	}
	b.confirm(link)
	b.archiveFitsAPhone(base)
}

// unsubscribeLinkTo is the List-Unsubscribe URL of the message delivered
// to rcpt, or "".
func unsubscribeLinkTo(srv *smtptest.Server, rcpt string) string {
	unsub := ""
	for _, m := range srv.Messages() {
		if m.To[0] == rcpt {
			msg, _ := mail.ReadMessage(bytes.NewReader(m.Data))
			if u := regexp.MustCompile(`<(http://[^>]+/u/[a-z2-7]+)>`).FindStringSubmatch(msg.Header.Get("List-Unsubscribe")); u != nil {
				unsub = u[1]
			}
		}
	}
	return unsub
}

// confirmLinkTo waits up to 5 seconds for a confirmation mail to rcpt
// with a link under base, and returns the link.
func confirmLinkTo(t *testing.T, srv *smtptest.Server, base, rcpt string) string {
	t.Helper()
	link := ""
	deadline := time.Now().Add(5 * time.Second)
	for link == "" && time.Now().Before(deadline) {
		for _, m := range srv.Messages() {
			if m.To[0] != rcpt {
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
	return link
}

// browserRun is one browser session against the test's `mailer serve`.
type browserRun struct {
	t   *testing.T
	e   *testEnv
	ctx context.Context
}

// shot keeps a screenshot of the page as the test's artifact NAME.png.
func (b *browserRun) shot(name string) {
	b.t.Helper()
	browsertest.Screenshot(b.ctx, b.t, name+".png")
}

func (b *browserRun) heading() string {
	b.t.Helper()
	h, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimSpace(h)
}

func (b *browserRun) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// wantHeading fails the test unless the page's h1 is want.
func (b *browserRun) wantHeading(format, want string) {
	b.t.Helper()
	if h := b.heading(); h != want {
		b.t.Fatalf(format, h)
	}
}

// wantStatus fails the test unless addr is among the members of
// bpf-updates with status.
func (b *browserRun) wantStatus(status, addr, format string) {
	b.t.Helper()
	if out := b.e.mustRun("subscribers", "ls", "bpf-updates", "--status", status); !strings.Contains(out, addr) {
		b.t.Fatalf(format, out)
	}
}

// unsubscribe opens the link from the delivered issue: the page asks, and
// only the click unsubscribes.
func (b *browserRun) unsubscribe(unsub string) {
	b.t.Helper()
	b.step("open unsubscribe link", chromedp.EmulateViewport(375, 800), chromedp.Navigate(unsub), chromedp.WaitVisible(chromedp.CSS("button")))
	b.wantHeading("unsubscribe page heading %q", "Unsubscribe from BPF updates?")
	b.shot("web-unsubscribe-375px")
	if out := b.e.mustRun("subscribers", "ls", "bpf-updates", "--status", "active"); !strings.Contains(out, "alice@example.org") {
		b.t.Fatal("opening the link unsubscribed alice")
	}
	b.step("click unsubscribe", chromedp.Click(chromedp.CSS("button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("form[action$='/resubscribe']")))
	b.wantHeading("after the click: %q", "You are unsubscribed")
	b.shot("web-unsubscribed-375px")
	b.wantStatus("unsubscribed", "alice@example.org", "alice is not unsubscribed:\n%s")
}

// subscribe fills in the subscribe form for newbie@example.org.
func (b *browserRun) subscribe(base string) {
	b.t.Helper()
	b.step("open form", chromedp.EmulateViewport(800, 900), chromedp.Navigate(base+"/subscribe/bpf-updates"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.shot("web-subscribe-form-800px")
	b.step("fill in form", chromedp.SendKeys(chromedp.CSS("#email"), "newbie@example.org"), chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("span.address")))
	b.wantHeading("after the form: %q", "Check your mailbox")
	b.shot("web-subscribe-sent-800px")
}

// confirm opens the link from the confirmation mail and clicks the button.
func (b *browserRun) confirm(link string) {
	b.t.Helper()
	b.step("open confirmation link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("button")))
	b.shot("web-confirm-800px")
	b.step("confirm", chromedp.Click(chromedp.CSS("button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("main a[href$='/archive/bpf-updates/']")))
	b.wantHeading("after confirming: %q", "You are subscribed")
	b.shot("web-confirmed-800px")
	b.wantStatus("active", "newbie@example.org", "newbie is not active:\n%s")
}

// archiveFitsAPhone: the archive shows the sent issue, and no page scrolls
// sideways on a phone.
func (b *browserRun) archiveFitsAPhone(base string) {
	b.t.Helper()
	b.step("archive", chromedp.EmulateViewport(375, 800), chromedp.Navigate(base+"/archive/"), chromedp.WaitVisible(chromedp.CSS("ul.issues a")))
	b.shot("web-archive-375px")
	for _, path := range []string{"/archive/", "/archive/bpf-updates/issue-06", "/subscribe/bpf-updates"} {
		b.step("open "+path, chromedp.Navigate(base+path))
		w, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`[document.documentElement.scrollWidth, window.innerWidth]`))
		if err != nil {
			b.t.Fatal(err)
		}
		if w[0] > w[1] {
			b.t.Errorf("%s is %.0f px wide at 375 px", path, w[0])
		}
	}
}
