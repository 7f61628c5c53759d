package render

import (
	"bytes"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mailer/internal/issue"
	"mailer/templates"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var fixedNow = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

var bpfList = List{ID: 1, Name: "bpf-updates", Title: "BPF updates", FromAddress: "alexander@example.org",
	FromName: "Alexander Alemayhu", SubjectPrefix: "[bpf-updates] "}

var alice = Recipient{Address: "alice@example.org", Name: "Alice Example", Token: "aeaqd4mbgh4zbovntafxuq5t2e", MessageID: "issue-06.1.1@lists.example.org"}

func mustRenderer(tb testing.TB) *Renderer {
	tb.Helper()
	r, err := New(Options{BaseURL: "https://lists.example.org", ListHost: "lists.example.org",
		Contact: "BPF updates, c/o Example Org, 1 Main Street, Springfield", Templates: templates.FS,
		Now: func() time.Time { return fixedNow }})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func mustIssue06(tb testing.TB) *issue.Issue {
	tb.Helper()
	iss, err := issue.Load("testdata/issue-06.md")
	if err != nil {
		tb.Fatal(err)
	}
	return iss
}

// delivered is a message parsed back with the standard library's MIME
// readers, as a mail client would.
type delivered struct {
	Header     mail.Header
	Text, HTML string
	PartTypes  []string
	PartCTEs   []string
}

func parseMessage(tb testing.TB, raw []byte) *delivered {
	tb.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		tb.Fatalf("message does not parse: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		tb.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	d := &delivered{Header: msg.Header}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("multipart: %v", err)
		}
		d.PartTypes = append(d.PartTypes, p.Header.Get("Content-Type"))
		d.PartCTEs = append(d.PartCTEs, p.Header.Get("Content-Transfer-Encoding"))
		body, err := io.ReadAll(quotedprintable.NewReader(p))
		if err != nil {
			tb.Fatalf("quoted-printable: %v", err)
		}
		// Text in MIME has CRLF line ends; compare it as lines.
		body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
		switch pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); pt {
		case "text/plain":
			d.Text = string(body)
		case "text/html":
			d.HTML = string(body)
		}
	}
	return d
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		os.WriteFile(path+".got", []byte(got), 0o644)
		t.Fatalf("%s differs from the golden file; see %s.got (go test -update rewrites it after you have read the diff)", name, path)
	}
}
