package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mailer/internal/config"
	"mailer/internal/token"
)

func newIssueEnv(t testing.TB) *testEnv {
	e := newTestEnv(t)
	src, err := os.ReadFile("../render/testdata/issue-06.md")
	if err != nil {
		t.Fatal(err)
	}
	e.write("issues/issue-06.md", string(src))
	e.mustRun("lists", "create", "bpf-updates", "--title", "BPF updates", "--from", "Alexander <alex@example.org>", "--subject-prefix", "[bpf-updates] ")
	e.mustRun("subscribers", "add", "bpf-updates", "Alice <alice@example.org>")
	return e
}

var unsubURL = regexp.MustCompile(`<(https?://[^>]+/u/([a-z2-7]+))>`)

func TestRenderEmlForAMemberCarriesHerToken(t *testing.T) {
	e := newIssueEnv(t)
	out := e.mustRun("render", "issue-06", "--list", "bpf-updates", "--format", "eml", "--to", "alice@example.org")
	msg, err := mail.ReadMessage(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Subject") != "[bpf-updates] BPF updates 06" || msg.Header.Get("To") != "Alice <alice@example.org>" {
		t.Fatalf("headers: %v", msg.Header)
	}
	m := unsubURL.FindStringSubmatch(msg.Header.Get("List-Unsubscribe"))
	if m == nil {
		t.Fatalf("List-Unsubscribe %q", msg.Header.Get("List-Unsubscribe"))
	}
	cfg, err := config.Load(filepath.Join(e.dir, "mailer.toml"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := token.NewSigner(cfg.Secret)
	got, err := signer.Verify(m[2])
	if err != nil || got.ListID != 1 || got.SubscriberID != 1 {
		t.Fatalf("token %q verifies as %+v, %v", m[2], got, err)
	}
}

func TestRenderTextAndHTMLToFile(t *testing.T) {
	e := newIssueEnv(t)
	e.env["MAILER_DEFAULT_LIST"] = "bpf-updates"
	_, errOut, code := e.run("render", "issue-06", "--format", "text", "-o", filepath.Join(e.dir, "out.txt"))
	if code != 0 || !strings.Contains(errOut, "Wrote") || !strings.Contains(errOut, "not a member") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	txt, _ := os.ReadFile(filepath.Join(e.dir, "out.txt"))
	if !strings.HasPrefix(string(txt), "BPF updates 06\n==============\n") || !strings.Contains(string(txt), "as reader@example.org.") {
		t.Fatalf("text:\n%s", txt)
	}
	out := e.mustRun("render", "issue-06", "--format", "html")
	if !strings.HasPrefix(out, "<!DOCTYPE html>") || strings.Contains(out, "MAILERSLOT") {
		t.Fatalf("html starts %q", out[:40])
	}
}

func TestRenderErrors(t *testing.T) {
	e := newIssueEnv(t)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"render", "issue-99", "--list", "bpf-updates"}, ExitError, "issue-99.md does not exist"},
		{[]string{"render", "issue-06"}, ExitError, "names no list"},
		{[]string{"render", "issue-06", "--list", "nope"}, ExitError, `no list named "nope"`},
		{[]string{"render", "issue-06", "--list", "bpf-updates", "--format", "pdf"}, ExitUsage, "--format"},
		{[]string{"render", "issue-06", "--list", "bpf-updates", "--to", "bad"}, ExitError, "invalid address"},
	}
	for _, c := range cases {
		_, errOut, code := e.run(c.args...)
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("mailer %v: exit %d %q, want %d %q", c.args, code, errOut, c.code, c.msg)
		}
	}
	e.mustRun("lists", "create", "nofrom")
	if _, errOut, code := e.run("render", "issue-06", "--list", "nofrom"); code != ExitError || !strings.Contains(errOut, "no From address") {
		t.Errorf("list without From: %d %q", code, errOut)
	}
}

// startPreview runs `mailer preview ISSUE` for alice@example.org on a
// free port until the test ends, and returns its URL and standard output.
func startPreview(t *testing.T, e *testEnv, issue string) (string, *bytes.Buffer) {
	d, out, _ := testDeps(e.env, "")
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- previewRun(ctx, &PreviewOptions{Deps: d, Issue: issue, List: "bpf-updates", To: "alice@example.org",
			Addr: "127.0.0.1:0", Ready: func(u string) { urls <- u }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("preview ended with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("preview did not stop on cancel")
		}
	})
	select {
	case base := <-urls:
		return base, out
	case err := <-done:
		done <- err
		t.Fatalf("preview stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("preview did not start")
	}
	return "", nil
}

func TestPreviewServesBothVersions(t *testing.T) {
	e := newIssueEnv(t)
	base, out := startPreview(t, e, "issue-06")
	get := func(path string) (string, http.Header) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return string(b), resp.Header
	}
	page, hdr := get("")
	if !strings.Contains(page, `<iframe src="/html"`) || !strings.Contains(page, "Netdev 2.1") || hdr.Get("Content-Security-Policy") == "" {
		t.Fatalf("index page:\n%.500s", page)
	}
	if h, _ := get("html"); !strings.Contains(h, "alice@example.org is subscribed to BPF updates") {
		t.Fatal("HTML version lacks the reader's footer")
	}
	if txt, _ := get("text"); !strings.Contains(txt, "as alice@example.org.") {
		t.Fatal("text version lacks the reader's footer")
	}
	if eml, _ := get("eml"); !strings.Contains(eml, "List-Unsubscribe-Post: List-Unsubscribe=One-Click") {
		t.Fatal("eml lacks headers")
	}
	if !bytes.Contains(out.Bytes(), []byte(base)) {
		t.Fatalf("URL not printed: %q", out)
	}
}
