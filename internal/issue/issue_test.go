package issue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailer/internal/fault"
)

func TestParseIssue06(t *testing.T) {
	iss, err := Load("testdata/issue-06.md")
	if err != nil {
		t.Fatal(err)
	}
	if iss.Slug != "issue-06" || iss.Title != "BPF updates 06" || iss.Subject != "BPF updates 06" {
		t.Fatalf("slug %q title %q subject %q", iss.Slug, iss.Title, iss.Subject)
	}
	if !iss.Date.Equal(time.Date(2017, 6, 8, 19, 53, 58, 0, time.UTC)) {
		t.Fatalf("date %v", iss.Date)
	}
	if !strings.HasPrefix(iss.Summary, "BPF and XDP development updates") {
		t.Fatalf("summary from ogSummary: %q", iss.Summary)
	}
	if len(iss.Tags) != 5 || iss.Tags[0] != "bpf-updates" || len(iss.Categories) != 1 || iss.Path != "/blog/2017/6/7/bpf-updates-06" {
		t.Fatalf("tags %v categories %v path %q", iss.Tags, iss.Categories, iss.Path)
	}
	if !strings.HasPrefix(string(iss.Body), "\nThis is issue 06") || iss.Draft {
		t.Fatalf("body starts %q", iss.Body[:20])
	}
}

func TestParseFrontMatter(t *testing.T) {
	tests := []struct {
		name, in string
		check    func(*Issue) bool
		err      string
	}{
		{name: "subject overrides title", in: "---\ntitle: T\nsubject: S\n---\nbody", check: func(i *Issue) bool { return i.Subject == "S" && i.Title == "T" }},
		{name: "summary wins over ogSummary", in: "---\ntitle: T\nsummary: A\nogSummary: B\n---\n", check: func(i *Issue) bool { return i.Summary == "A" }},
		{name: "preheader", in: "---\ntitle: T\npreheader: P\nogSummary: B\n---\n", check: func(i *Issue) bool { return i.Summary == "P" }},
		{name: "list and draft", in: "---\ntitle: T\nlist: other\ndraft: true\n---\n", check: func(i *Issue) bool { return i.List == "other" && i.Draft }},
		{name: "unknown keys ignored", in: "---\ntitle: T\nlayout: post\nauthor: {name: x}\n---\n", check: func(i *Issue) bool { return i.Title == "T" }},
		{name: "plain date", in: "---\ntitle: T\ndate: 2026-11-26\n---\n", check: func(i *Issue) bool { return i.Date.Day() == 26 }},
		{name: "CRLF", in: "---\r\ntitle: T\r\n---\r\nbody\r\n", check: func(i *Issue) bool { return string(i.Body) == "body\n" }},
		{name: "BOM", in: "\uFEFF---\ntitle: T\n---\n", check: func(i *Issue) bool { return i.Title == "T" }},
		{name: "images inline", in: "---\ntitle: T\nimages: inline\n---\n", check: func(i *Issue) bool { return i.Images == "inline" }},
		{name: "images unknown", in: "---\ntitle: T\nimages: embedded\n---\n", err: "images: want inline or linked"},
		{name: "no title", in: "---\ndate: 2017-06-08\n---\nbody", err: "has no title"},
		{name: "no front matter", in: "# Hello\n", err: "no front matter"},
		{name: "unclosed", in: "---\ntitle: T\nbody", err: "not closed"},
		{name: "malformed yaml", in: "---\ntitle: T\ntags: [a, b\ndate: x\n---\n", err: "x.md: front matter: line"},
		{name: "bad indentation line", in: "---\ntitle: T\n  bad: : :\n---\n", err: "line 3"},
		{name: "bad date", in: "---\ntitle: T\ndate: last tuesday\n---\n", err: "not a date"},
		{name: "title with newline", in: "---\ntitle: \"a\\nb\"\n---\n", err: "one line"},
		{name: "not utf-8", in: "---\ntitle: \xff\n---\n", err: "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss, err := Parse("x.md", []byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if fault.CodeOf(err) != fault.Invalid {
					t.Fatalf("code %s", fault.CodeOf(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(iss) {
				t.Fatalf("unexpected issue %+v", iss)
			}
		})
	}
}

func TestYAMLErrorLineCountsFileLines(t *testing.T) {
	_, err := Parse("x.md", []byte("---\ntitle: T\nfoo: [\n---\n"))
	if err == nil {
		t.Fatal("accepted")
	}
	// yaml reports the error past the end of the front matter; the point is
	// that its line is the file's, which is at least line 3 here.
	if !strings.Contains(err.Error(), "line ") {
		t.Fatalf("no line number: %v", err)
	}
	_, err = Parse("x.md", []byte("---\ntitle: T\n\tbad: tab\n---\n"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("tab on file line 3: %v", err)
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "issue-06.md"), []byte("---\ntitle: T\n---\n"), 0o644)
	if p, err := Resolve(dir, "issue-06"); err != nil || p != filepath.Join(dir, "issue-06.md") {
		t.Fatalf("by name: %q %v", p, err)
	}
	if p, err := Resolve(dir, "issue-06.md"); err != nil || p != filepath.Join(dir, "issue-06.md") {
		t.Fatalf("with .md: %q %v", p, err)
	}
	if _, err := Resolve(dir, filepath.Join(dir, "issue-06.md")); err != nil {
		t.Fatalf("by path: %v", err)
	}
	if _, err := Resolve(dir, "issue-99"); fault.CodeOf(err) != fault.NotFound || !strings.Contains(err.Error(), "issue-99.md does not exist") {
		t.Fatalf("missing: %v", err)
	}
	if _, err := Resolve(dir, "../etc/passwd"); err == nil {
		t.Fatal("path escape accepted")
	}
}

func FuzzParse(f *testing.F) {
	seed, _ := os.ReadFile("testdata/issue-06.md")
	f.Add(seed)
	f.Add([]byte("---\ntitle: x\n---\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("---\ntitle: [\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		iss, err := Parse("f.md", data)
		if (iss == nil) == (err == nil) {
			t.Fatalf("issue %v and error %v", iss, err)
		}
		if iss != nil && (iss.Title == "" || strings.ContainsAny(iss.Subject, "\r\n")) {
			t.Fatalf("bad issue accepted: %+v", iss)
		}
	})
}
