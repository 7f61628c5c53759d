package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mailer/internal/issue"
)

// TestShowFromPointsOwnFilesToLocal: before the issue is sent, both an
// image carried in the message (cid:) and a link to a published file point
// to the local base; other URLs, the issue's web page among them, stay.
func TestShowFromPointsOwnFilesToLocal(t *testing.T) {
	iss, _ := issue.Parse("x.md", []byte("---\ntitle: T\n---\n![chart](img/c.png) ![big](img/big.png) [talk](files/talk.pdf) [web](https://example.org/a)\n"))
	png := []byte("\x89PNG\r\n\x1a\n-bytes-")
	r := mustRenderer(t)
	rd, err := r.RenderInline(iss, bpfList, []Inline{{Path: "img/c.png", ContentType: "image/png", Data: png}})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := rd.Personal(alice)
	got := r.ShowFrom(rd, h, "/local/")
	for _, want := range []string{`src="/local/img/c.png"`, `src="/local/img/big.png"`, `href="/local/files/talk.pdf"`, `href="https://example.org/a"`, `href="https://lists.example.org/archive/bpf-updates/x"`} {
		if !strings.Contains(got, want) {
			t.Errorf("ShowFrom lacks %s", want)
		}
	}
	if strings.Contains(got, "cid:") || strings.Contains(got, "https://lists.example.org/archive/bpf-updates/x/") {
		t.Errorf("ShowFrom left a cid: or a published URL:\n%s", got)
	}
	in, linked := rd.InlineSplit()
	if strings.Join(in, ",") != "img/c.png" || strings.Join(linked, ",") != "img/big.png" {
		t.Errorf("InlineSplit: in %v, linked %v", in, linked)
	}
}

func TestFileBaseIsTheIssuesDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.Mkdir("issues", 0o755)
	got, err := FileBase(filepath.Join("issues", "issue-06.md"))
	want := "file://" + filepath.ToSlash(dir) + "/issues/"
	if err != nil || got != want {
		t.Errorf("FileBase = %q, %v; want %q", got, err, want)
	}
}
