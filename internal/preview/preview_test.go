package preview

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailer/internal/sending"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

var dotPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR-not-really-but-bytes")

// previewEnv is an issue with an image beside it in a temporary issues
// directory, a real SQLite database with its list, and the preview of the
// issue for alice served on 127.0.0.1.
type previewEnv struct {
	t     *testing.T
	issue string // the issue's Markdown file
	open  Open
	ts    *httptest.Server
}

func newPreviewEnv(t *testing.T) *previewEnv {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "p.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	title, from := "BPF updates", "Alex <alex@example.org>"
	if _, err := db.CreateList(ctx, "bpf-updates", store.ListSettings{Title: &title, From: &from}); err != nil {
		t.Fatal(err)
	}
	cfg := testwire.Config(testwire.Options{})
	cfg.Dir = dir
	e := &previewEnv{t: t, issue: filepath.Join(dir, "issues", "issue-x.md")}
	os.MkdirAll(filepath.Join(dir, "issues", "img"), 0o755)
	os.WriteFile(filepath.Join(dir, "issues", "img", "dot.png"), dotPNG, 0o644)
	e.writeIssue("First")
	e.open = func(ctx context.Context) (*sending.Job, func(), error) {
		job, err := sending.Open(ctx, cfg, db, "issue-x", "bpf-updates", time.Now)
		return job, func() {}, err
	}
	p, err := New(ctx, e.open, "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(p.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

func (e *previewEnv) writeIssue(title string) {
	src := "---\ntitle: " + title + "\n---\nA dot: ![dot](img/dot.png)\n"
	if err := os.WriteFile(e.issue, []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *previewEnv) get(path string) (int, http.Header, []byte) {
	e.t.Helper()
	resp, err := http.Get(e.ts.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// TestPreviewServesTheIssuesFiles: the HTML points the issue's image to
// the preview's own path for it, which serves the file from beside the
// issue; a file the issue lacks is not found.
func TestPreviewServesTheIssuesFiles(t *testing.T) {
	e := newPreviewEnv(t)
	code, hdr, h := e.get("/html")
	if code != 200 || !bytes.Contains(h, []byte(`src="/archive/bpf-updates/issue-x/img/dot.png"`)) || bytes.Contains(h, []byte(testwire.BaseURL+"/archive/bpf-updates/issue-x/")) {
		t.Fatalf("/html: %d\n%s", code, h)
	}
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'self'") || hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("/html headers: %v", hdr)
	}
	code, hdr, b := e.get("/archive/bpf-updates/issue-x/img/dot.png")
	if code != 200 || hdr.Get("Content-Type") != "image/png" || !bytes.Equal(b, dotPNG) {
		t.Errorf("the image: %d %s, %d bytes", code, hdr.Get("Content-Type"), len(b))
	}
	if code, _, _ := e.get("/archive/bpf-updates/issue-x/img/missing.png"); code != http.StatusNotFound {
		t.Errorf("a missing file: %d", code)
	}
}

// TestPreviewRendersOnEveryRequest: an edit to the issue shows on the next
// load; an issue that breaks is reported on the page rather than stopping
// the server, and a preview of an issue that does not exist never starts.
func TestPreviewRendersOnEveryRequest(t *testing.T) {
	e := newPreviewEnv(t)
	if _, _, page := e.get("/"); !bytes.Contains(page, []byte("First")) {
		t.Fatalf("index page:\n%s", page)
	}
	e.writeIssue("Second")
	if _, _, txt := e.get("/text"); !bytes.Contains(txt, []byte("Second")) || !bytes.Contains(txt, []byte("alice@example.org")) {
		t.Errorf("the text after the edit:\n%s", txt)
	}
	os.Remove(e.issue)
	if code, _, body := e.get("/eml"); code != http.StatusInternalServerError || !bytes.Contains(body, []byte("issue-x")) {
		t.Errorf("a missing issue: %d %s", code, body)
	}
	if _, err := New(context.Background(), e.open, "alice@example.org"); err == nil {
		t.Error("New started a preview of a missing issue")
	}
}
