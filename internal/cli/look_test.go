package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mailer/internal/browsertest"
	"mailer/internal/smtptest"
	"mailer/templates"
)

// writeLook writes files (path relative to the templates → content) into
// dir; content "+X" means the embedded template with X appended.
func writeLook(t *testing.T, dir string, files map[string]string) {
	for name, content := range files {
		if rest, ok := strings.CutPrefix(content, "+"); ok {
			b, err := templates.FS.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			content = string(b) + rest
		}
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestListLook: a list's own templates change its issue, confirmation and
// pages, file by file over templates_dir over the embedded set; another
// list keeps the global look; the welcome, which the list's directory
// lacks, comes from templates_dir.
func TestListLook(t *testing.T) {
	e, srv := newSendEnv(t, 0)
	global, own := filepath.Join(e.dir, "global"), filepath.Join(e.dir, "bpf-look")
	writeLook(t, global, map[string]string{"optin/welcome.txt": "+\nGLOBAL-WELCOME\n", "issue/issue.txt": "+\nGLOBAL-FOOTER\n"})
	writeLook(t, own, map[string]string{"issue/issue.txt": "+\nBPF-FOOTER\n", "optin/confirm.txt": "+\nBPF-CONFIRM\n",
		"web/site.css": "body { background: #123456 }\n"})
	e.env["MAILER_TEMPLATES_DIR"] = global
	e.mustRun("lists", "create", "other", "--title", "Other", "--from", "o@example.org")
	e.mustRun("subscribers", "add", "other", "alice@example.org")
	e.mustRun("lists", "edit", "bpf-updates", "--templates", own)
	if out := e.mustRun("lists", "show", "bpf-updates"); !strings.Contains(out, own) {
		t.Fatalf("lists show does not name the list's templates:\n%s", out)
	}
	checkIssueLooks(t, e)
	checkOptinLooks(t, e, srv)
	checkPageLooks(t, e)
}

// checkIssueLooks: bpf-updates' issue is in its own look, the other list's
// in the global one.
func checkIssueLooks(t *testing.T, e *testEnv) {
	t.Helper()
	bpf := e.mustRun("render", "issue-06", "--format", "text")
	other := e.mustRun("render", "issue-06", "--format", "text", "--list", "other")
	if !strings.Contains(bpf, "BPF-FOOTER") || strings.Contains(bpf, "GLOBAL-FOOTER") {
		t.Errorf("bpf-updates' issue is not in its own look:\n%s", bpf[max(0, len(bpf)-400):])
	}
	if !strings.Contains(other, "GLOBAL-FOOTER") || strings.Contains(other, "BPF-FOOTER") {
		t.Errorf("the other list's issue is not in the global look:\n%s", other[max(0, len(other)-400):])
	}
	if html := e.mustRun("render", "issue-06", "--format", "html"); !strings.Contains(html, "Netdev 2.1") {
		t.Error("the issue's HTML, which the list does not override, is missing")
	}
}

// checkOptinLooks subscribes by mail and confirms: the confirmation is the
// list's, the welcome the global templates_dir's.
func checkOptinLooks(t *testing.T, e *testEnv, srv *smtptest.Server) {
	t.Helper()
	e.env["RECIPIENT"], e.env["SENDER"] = "majordomo@lists.example.org", "zoe@example.com"
	if _, errOut, code := e.runIn("From: zoe@example.com\r\nSubject: x\r\n\r\nsubscribe bpf-updates\r\n", "receive"); code != 0 {
		t.Fatalf("receive: %d %s", code, errOut)
	}
	var replyTo string
	for _, m := range srv.Messages() {
		if h, body := decodedBody(t, m.Data); confirmReplyTo.MatchString(h.Get("Reply-To")) {
			replyTo = h.Get("Reply-To")
			if !strings.Contains(body, "BPF-CONFIRM") {
				t.Errorf("the confirmation is not the list's:\n%s", body)
			}
		}
	}
	if replyTo == "" {
		t.Fatalf("no confirmation among %d mails", len(srv.Messages()))
	}
	e.env["RECIPIENT"] = replyTo
	if _, errOut, code := e.runIn("From: zoe@example.com\r\nSubject: Re: Confirm\r\n\r\nyes\r\n", "receive"); code != 0 {
		t.Fatalf("confirm: %d %s", code, errOut)
	}
	welcomed := false
	for _, m := range srv.Messages() {
		if h, body := decodedBody(t, m.Data); strings.HasPrefix(h.Get("Subject"), "Welcome to") {
			welcomed = strings.Contains(body, "GLOBAL-WELCOME")
		}
	}
	if !welcomed {
		t.Error("the welcome does not fall back to templates_dir")
	}
}

// checkPageLooks: the pages have the list's stylesheet, applied in a
// browser; the global one elsewhere.
func checkPageLooks(t *testing.T, e *testEnv) {
	t.Helper()
	addrs := startServeAll(t, e, "127.0.0.1:0")
	base := "http://" + addrs[2]
	if _, _, css := get(t, base+"/static/bpf-updates/site.css"); !strings.Contains(string(css), "#123456") {
		t.Errorf("the list's stylesheet: %q", css)
	}
	if _, _, css := get(t, base+"/static/other/site.css"); strings.Contains(string(css), "#123456") || len(css) < 100 {
		t.Errorf("the other list's stylesheet: %.100q", css)
	}
	ctx := browsertest.New(t)
	for list, want := range map[string]string{"bpf-updates": "rgb(18, 52, 86)", "other": ""} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/subscribe/"+list), chromedp.WaitReady(chromedp.CSS("form"))); err != nil {
			t.Fatal(err)
		}
		bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
		if err != nil {
			t.Fatal(err)
		}
		if (want != "" && bg != want) || (want == "" && bg == "rgb(18, 52, 86)") {
			t.Errorf("%s's subscribe page has background %s", list, bg)
		}
	}
}

// TestListLookErrors: a list's template directory that is missing or holds
// a broken template is refused by lists edit; one broken afterwards shows
// in doctor and stops serve and send, never silently replaced.
func TestListLookErrors(t *testing.T) {
	e, _ := newSendEnv(t, 1)
	own := filepath.Join(e.dir, "bpf-look")
	if _, errOut, code := e.run("lists", "edit", "bpf-updates", "--templates", own); code != ExitError || !strings.Contains(errOut, "bpf-look") {
		t.Errorf("a missing directory: exit %d %s", code, errOut)
	}
	writeLook(t, own, map[string]string{"optin/welcome.txt": "{{.Title"})
	if _, errOut, code := e.run("lists", "edit", "bpf-updates", "--templates", own); code != ExitError || !strings.Contains(errOut, "welcome.txt") {
		t.Errorf("a broken template: exit %d %s", code, errOut)
	}
	writeLook(t, own, map[string]string{"optin/welcome.txt": "+"})
	e.mustRun("lists", "edit", "bpf-updates", "--templates", own)
	if out, _, _ := e.run("doctor", "--json"); !strings.Contains(out, "its own templates in") {
		t.Errorf("doctor does not check the list's templates:\n%s", out)
	}
	writeLook(t, own, map[string]string{"issue/issue.html": "{{if}}"})
	if out, _, _ := e.run("doctor"); !strings.Contains(out, "issue.html") {
		t.Errorf("doctor does not name the broken template:\n%s", out)
	}
	if _, errOut, code := e.run("send", "issue-06", "--yes"); code != ExitError || !strings.Contains(errOut, "issue.html") {
		t.Errorf("send with a broken list template: exit %d %s", code, errOut)
	}
	if _, errOut, code := e.run("serve", "--http", "127.0.0.1:0"); code != ExitError || !strings.Contains(errOut, "issue.html") {
		t.Errorf("serve with a broken list template: exit %d %s", code, errOut)
	}
	e.mustRun("lists", "edit", "bpf-updates", "--templates", "")
	if out := e.mustRun("lists", "show", "bpf-updates"); !strings.Contains(out, "global") {
		t.Errorf("--templates \"\" does not bring back the global look:\n%s", out)
	}
}
