package render

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/jordan-wright/email"

	"mailer/internal/issue"
)

// mimePart is one leaf of a parsed message: its headers and decoded body.
type mimePart struct {
	path   string // content types from the top, e.g. related/alternative/text/html
	header map[string][]string
	body   []byte
}

// walkMIME parses a message's tree with the standard library.
func walkMIME(t *testing.T, raw []byte) []mimePart {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out []mimePart
	var walk func(path string, h map[string][]string, body io.Reader)
	walk = func(path string, h map[string][]string, body io.Reader) {
		ct, params, err := mime.ParseMediaType(first(h["Content-Type"]))
		if err != nil {
			t.Fatalf("%s: Content-Type: %v", path, err)
		}
		path += "/" + ct
		if !strings.HasPrefix(ct, "multipart/") {
			b, _ := io.ReadAll(body)
			if first(h["Content-Transfer-Encoding"]) == "base64" {
				if b, err = io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(b))); err != nil {
					t.Fatalf("%s: base64: %v", path, err)
				}
			}
			out = append(out, mimePart{path: path, header: h, body: b})
			return
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			walk(path, p.Header, p)
		}
	}
	walk("", msg.Header, msg.Body)
	return out
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// TestInlineImagesTravelInTheMessage: with images, the message is
// multipart/related around the alternative; the HTML names each image by
// a cid: that matches one part's Content-ID, whose bytes are the image;
// the text keeps the published URL; an image named twice travels once; the
// copy stays personal.
func TestInlineImagesTravelInTheMessage(t *testing.T) {
	iss, _ := issue.Parse("x.md", []byte("---\ntitle: T\n---\n![chart](img/c.png) and again ![chart](img/c.png) and ![big](img/big.png).\n"))
	png := []byte("\x89PNG\r\n\x1a\n-not-really-but-bytes-\x00\xff")
	r := mustRenderer(t)
	rd, err := r.RenderInline(iss, bpfList, []Inline{{Path: "img/c.png", ContentType: "image/png", Data: png}, {Path: "img/c.png", ContentType: "image/png", Data: png}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rd.Message.Personalise(nil, alice)
	if err != nil {
		t.Fatal(err)
	}
	parts := walkMIME(t, raw)
	var paths []string
	for _, p := range parts {
		paths = append(paths, p.path)
	}
	want := "/multipart/related/multipart/alternative/text/plain /multipart/related/multipart/alternative/text/html /multipart/related/image/png"
	if strings.Join(paths, " ") != want {
		t.Fatalf("structure %v, want %s", paths, want)
	}
	cid := strings.Trim(first(parts[2].header["Content-Id"]), "<>")
	if cid == "" || !bytes.Equal(parts[2].body, png) || rd.Inlined["img/c.png"] != cid {
		t.Fatalf("image part: Content-ID %q, %d bytes", cid, len(parts[2].body))
	}
	// An independent parser (jordan-wright/email) agrees.
	e, err := email.NewEmailFromReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Attachments) != 1 || !bytes.Equal(e.Attachments[0].Content, png) || e.Attachments[0].Filename != "c.png" {
		t.Fatalf("jordan-wright/email sees %d parts", len(e.Attachments))
	}
	html, text := string(e.HTML), string(e.Text)
	if strings.Count(html, `src="cid:`+cid+`"`) != 2 || !strings.Contains(html, `src="https://lists.example.org/archive/bpf-updates/x/img/big.png"`) {
		t.Errorf("HTML images:\n%s", html)
	}
	if strings.Contains(text, "cid:") || !strings.Contains(text, "https://lists.example.org/archive/bpf-updates/x/img/c.png") {
		t.Errorf("the text version does not link the published image:\n%s", text)
	}
	if !strings.Contains(text, alice.Address) {
		t.Error("the copy is not personal")
	}
	if got := rd.ShowInlined(`<img src="cid:`+cid+`">`, "/local/"); got != `<img src="/local/img/c.png">` {
		t.Errorf("ShowInlined: %s", got)
	}
	// No images: the message stays multipart/alternative.
	plain, _ := r.Render(iss, bpfList)
	raw, _ = plain.Message.Personalise(nil, alice)
	if parts := walkMIME(t, raw); len(parts) != 2 || !strings.HasPrefix(parts[0].path, "/multipart/alternative/") {
		t.Errorf("without inline images: %v", parts)
	}
}
