package cli

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/jordan-wright/email"

	"mailer/internal/browsertest"
)

// withFiles writes issue-img.md next to img/verifier.png (a 4x3 PNG) and
// files/talk.pdf, and returns the PNG's bytes.
func withFiles(t *testing.T, e *testEnv) []byte {
	src := e.read("issues/issue-06.md")
	e.write("issues/issue-img.md", strings.Replace(src, "title:", "title: With files\nx:", 1)+
		"\n![verifier](img/verifier.png)\n\nThe [slides](files/talk.pdf).\n")
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for x := range 4 {
		img.Set(x, 1, color.RGBA{200, 0, 0, 255})
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	os.MkdirAll(filepath.Join(e.dir, "issues", "img"), 0o755)
	os.MkdirAll(filepath.Join(e.dir, "issues", "files"), 0o755)
	os.WriteFile(filepath.Join(e.dir, "issues", "img", "verifier.png"), buf.Bytes(), 0o644)
	os.WriteFile(filepath.Join(e.dir, "issues", "files", "talk.pdf"), []byte("%PDF-1.4\n% slides\n"), 0o644)
	return buf.Bytes()
}

func get(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// TestIssueFilesArePublished: an issue's image and attachment next to its
// Markdown become absolute links in the mail, are published when the send
// starts or a test copy goes out (the mail's image loads at once), show in
// the archive page in a browser, and the attachment downloads.
func TestIssueFilesArePublished(t *testing.T) {
	e, srv := newSendEnv(t, 1)
	pngBytes := withFiles(t, e)
	addrs := startServeAll(t, e, "127.0.0.1:0")
	base := "http://" + addrs[2]
	e.env["MAILER_BASE_URL"] = base
	imgURL := base + "/archive/bpf-updates/issue-img/img/verifier.png"
	if code, _, _ := get(t, imgURL); code != 404 {
		t.Fatalf("the image is served before anything was sent: %d", code)
	}
	e.mustRun("send", "issue-img", "--test", "editor@example.org")
	if code, _, b := get(t, imgURL); code != 200 || !bytes.Equal(b, pngBytes) {
		t.Fatalf("after a test copy the image is not published: %d", code)
	}
	e.mustRun("send", "issue-img", "--yes")
	var mailHTML string
	for _, m := range srv.Messages() {
		if _, body := decodedBody(t, m.Data); strings.Contains(body, "verifier") {
			mailHTML = body
		}
	}
	if !strings.Contains(mailHTML, `src="`+imgURL+`"`) || !strings.Contains(mailHTML, base+"/archive/bpf-updates/issue-img/files/talk.pdf") {
		t.Fatalf("the mail's links are not absolute archive URLs:\n%.2000s", mailHTML)
	}
	code, h, b := get(t, imgURL)
	if code != 200 || h.Get("Content-Type") != "image/png" || !bytes.Equal(b, pngBytes) {
		t.Fatalf("image: %d %s, %d bytes", code, h.Get("Content-Type"), len(b))
	}
	code, h, _ = get(t, base+"/archive/bpf-updates/issue-img/files/talk.pdf")
	if code != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("attachment: %d %s %s", code, h.Get("Content-Type"), h.Get("Content-Disposition"))
	}
	if code, _, _ := get(t, base+"/archive/bpf-updates/issue-img/img/nope.png"); code != 404 {
		t.Fatalf("a file never published: %d", code)
	}
	ctx := browsertest.New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/archive/bpf-updates/issue-img"),
		chromedp.WaitVisible(chromedp.CSS(`img[alt="verifier"]`))); err != nil {
		t.Fatal(err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise(r => { const i = document.querySelector('img[alt="verifier"]'); i.complete ? r(i.naturalWidth) : i.onload = () => r(i.naturalWidth) })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if width != 4 {
		t.Fatalf("the image in the archive page is %v px wide, want 4 (not loaded)", width)
	}
}

// TestIssueFilesRefused: a missing file, one too large, or one outside
// the issue's directory stops the send before anything is queued, naming
// it.
func TestIssueFilesRefused(t *testing.T) {
	e, srv := newSendEnv(t, 1)
	withFiles(t, e)
	src := e.read("issues/issue-img.md")
	for name, c := range map[string]struct{ link, want string }{
		"missing": {"img/gone.png", "img/gone.png, which is missing"},
		"outside": {"../mailer.toml", "outside the issue's directory"},
		"large":   {"img/big.bin", "files of an issue may be at most 10 MB"},
	} {
		os.WriteFile(filepath.Join(e.dir, "issues", "img", "big.bin"), make([]byte, 11<<20), 0o644)
		e.write("issues/bad.md", strings.Replace(src, "img/verifier.png", c.link, 1))
		_, errOut, code := e.run("send", "bad", "--yes")
		if code != ExitError || !strings.Contains(errOut, c.want) || len(srv.Messages()) != 0 {
			t.Errorf("%s: exit %d, %d messages: %s", name, code, len(srv.Messages()), errOut)
		}
	}
}

// imageWidth opens url in Chromium and returns the natural width of the
// verifier image once it has loaded: 0 when it did not.
func imageWidth(t *testing.T, url string) float64 {
	ctx := browsertest.New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS(`img[alt="verifier"]`))); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	w, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise(r => {
		const i = document.querySelector('img[alt="verifier"]');
		if (i.complete) { r(i.naturalWidth) } else { i.onload = i.onerror = () => r(i.naturalWidth) }
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return w
}

// TestIssueFilesShowBeforeSending: before the files are published,
// `render --format html -o FILE` links them from beside the issue and
// `preview` serves them, so both show the image in a browser; the mail
// itself (eml, and html --as-sent) keeps the published URLs.
func TestIssueFilesShowBeforeSending(t *testing.T) {
	e, _ := newSendEnv(t, 1)
	withFiles(t, e)
	out := filepath.Join(t.TempDir(), "issue-img.html")
	_, errOut, code := e.run("render", "issue-img", "--format", "html", "-o", out)
	if code != 0 || !strings.Contains(errOut, "img/verifier.png, files/talk.pdf") {
		t.Fatalf("render: exit %d: %s", code, errOut)
	}
	if w := imageWidth(t, "file://"+out); w != 4 {
		t.Errorf("the image in the rendered HTML is %v px wide, want 4 (not loaded)", w)
	}
	published := "http://localhost:8080/archive/bpf-updates/issue-img/img/verifier.png"
	for _, args := range [][]string{{"--format", "html", "--as-sent"}, {"--format", "eml"}} {
		stdout, _, _ := e.run(append([]string{"render", "issue-img"}, args...)...)
		if !strings.Contains(strings.ReplaceAll(stdout, "=\r\n", ""), published) {
			t.Errorf("render %v does not link %s", args, published)
		}
	}
	base, _ := startPreview(t, e, "issue-img")
	if w := imageWidth(t, base+"html"); w != 4 {
		t.Errorf("the image in the preview is %v px wide, want 4 (not loaded)", w)
	}
}

// TestInlineImagesAreSent: with images: inline, a small image travels in
// each delivered copy as a multipart/related part the HTML names by cid:,
// DKIM-signed over the whole; an image over the limit stays a link to its
// published copy, and render says which is which.
func TestInlineImagesAreSent(t *testing.T) {
	e, srv := newSendEnv(t, 2)
	pngBytes := withFiles(t, e)
	big := make([]byte, 300<<10)
	copy(big, pngBytes)
	os.WriteFile(filepath.Join(e.dir, "issues", "img", "big.png"), big, 0o644)
	src := e.read("issues/issue-img.md")
	e.write("issues/issue-img.md", strings.Replace(src, "title:", "images: inline\ntitle:", 1)+"\n![big](img/big.png)\n")
	out := e.mustRun("dkim", "keygen", "--selector", "s1", "--domain", "example.org", "--algorithm", "ed25519")
	rec := regexp.MustCompile(`s1\._domainkey\.example\.org\. IN TXT "([^"]+)"`).FindStringSubmatch(out)
	kf := regexp.MustCompile(`key_file = "([^"]+)"`).FindStringSubmatch(out)
	e.env["MAILER_DKIM_DOMAIN"], e.env["MAILER_DKIM_SELECTOR"], e.env["MAILER_DKIM_KEY_FILE"] = "example.org", "s1", kf[1]

	_, errOut, _ := e.run("render", "issue-img", "--format", "eml")
	if !strings.Contains(errOut, "images in the message (images: inline): img/verifier.png") || !strings.Contains(errOut, "not in the message") || !strings.Contains(errOut, "img/big.png") {
		t.Errorf("render does not say which images travel:\n%s", errOut)
	}
	e.mustRun("send", "issue-img", "--yes")
	msgs := srv.Messages()
	if len(msgs) != 3 { // alice and the 2 readers
		t.Fatalf("%d messages delivered", len(msgs))
	}
	lookup := func(string) ([]string, error) { return []string{rec[1]}, nil }
	for _, m := range msgs {
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(m.Data), &dkim.VerifyOptions{LookupTXT: lookup})
		if err != nil || len(vs) != 1 || vs[0].Err != nil {
			t.Fatalf("DKIM of the copy to %v: %v %+v", m.To, err, vs)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if mt, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type")); mt != "multipart/related" || params["type"] != "multipart/alternative" {
			t.Fatalf("Content-Type %s", msg.Header.Get("Content-Type"))
		}
		parsed, err := email.NewEmailFromReader(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if len(parsed.Attachments) != 1 || !bytes.Equal(parsed.Attachments[0].Content, pngBytes) {
			t.Fatalf("the copy to %v carries %d parts", m.To, len(parsed.Attachments))
		}
		html := string(parsed.HTML)
		if !regexp.MustCompile(`<img src="cid:[0-9a-f]{24}@lists\.example\.org" alt="verifier"`).MatchString(html) ||
			!strings.Contains(html, `src="http://localhost:8080/archive/bpf-updates/issue-img/img/big.png"`) {
			t.Fatalf("the HTML's images:\n%s", html)
		}
	}
}
