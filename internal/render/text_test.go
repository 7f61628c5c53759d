package render

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func textOf(t *testing.T, md string) string {
	t.Helper()
	base, _ := url.Parse("https://lists.example.org")
	m := newMarkdown(base)
	return renderText([]byte(md), parse(m, []byte(md)))
}

func TestTextRendering(t *testing.T) {
	long := "word " + strings.Repeat("x", 10)
	tests := []struct {
		name, md, want string
	}{
		{"escapes removed", `qed\* and a\_b and \[x\]`, "qed* and a_b and [x]\n"},
		{"entities decoded", "AT&amp;T &lt;tag&gt; &copy; &#8212;", "AT&T <tag> © —\n"},
		{"emphasis", "*em* and **strong** and ~~gone~~", "_em_ and *strong* and ~~gone~~\n"},
		{"code span kept whole", "run `make test` now", "run `make test` now\n"},
		{"link with reference", "see [the docs](https://example.org/docs).", "see the docs [1].\n\nLinks:\n\n[1] https://example.org/docs\n"},
		{"link whose text is its URL", "[https://example.org](https://example.org)", "https://example.org\n"},
		{"autolink", "<https://example.org/a>", "https://example.org/a\n"},
		{"bare URL (GFM)", "go to https://example.org/b now", "go to https://example.org/b now\n"},
		{"mailto", "[me@example.org](mailto:me@example.org)", "me@example.org\n"},
		{"same URL one number", "[a](https://x.org) [b](https://y.org) [c](https://x.org)",
			"a [1] b [2] c [1]\n\nLinks:\n\n[1] https://x.org\n[2] https://y.org\n"},
		{"reference too long for its line", "[a](https://example.org/" + strings.Repeat("p", 70) + ")",
			"a [1]\n\nLinks:\n\n[1]\n    https://example.org/" + strings.Repeat("p", 70) + "\n"},
		{"relative link made absolute", "[post](/blog/2017/6/7/x)", "post [1]\n\nLinks:\n\n[1] https://lists.example.org/blog/2017/6/7/x\n"},
		{"headings underlined", "# One\n\n## Two\n\n### Three", "One\n===\n\nTwo\n---\n\nThree\n~~~~~\n"},
		{"bullet list nested", "- a\n  - b\n    - c\n- d", "- a\n  - b\n    - c\n- d\n"},
		{"ordered list", "1. one\n2. two", "1. one\n2. two\n"},
		{"ordered list aligned past 9", "8. a\n9. b\n10. c", "8.  a\n9.  b\n10. c\n"},
		{"loose list", "- a\n\n- b", "- a\n\n- b\n"},
		{"task list", "- [x] done\n- [ ] todo", "- [x] done\n- [ ] todo\n"},
		{"blockquote", "> quoted\n>\n> more", "> quoted\n>\n> more\n"},
		{"code block indented, not wrapped", "```\nfunc main() {\n\treturn " + strings.Repeat("y", 80) + "\n}\n```",
			"    func main() {\n        return " + strings.Repeat("y", 80) + "\n    }\n"},
		{"raw html stripped", "<div><b>bold</b> &amp; text</div>", "bold & text\n"},
		{"inline html dropped", "E = mc<sup>2</sup>", "E = mc2\n"},
		{"table", "| a | bb |\n|---|---|\n| ccc | d |", "a    bb\n---  --\nccc  d\n"},
		{"hard break", "line one\\\nline two", "line one\nline two\n"},
		{"image", "![diagram](/img/x.png)", "[diagram] [1]\n\nLinks:\n\n[1] https://lists.example.org/img/x.png\n"},
		{"thematic break", "a\n\n---\n\nb", "a\n\n" + strings.Repeat(" ", 33) + "* * *\n\nb\n"},
		{"short text", long, long + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := textOf(t, tt.md); got != tt.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestTextWrapsAt72WithoutBreakingURLsOrCode(t *testing.T) {
	url := "https://example.org/" + strings.Repeat("very-long-path/", 6) + "end"
	md := strings.Repeat("lorem ipsum dolor sit amet ", 5) + url + " " + strings.Repeat("consectetur adipiscing ", 4) +
		"`a code span with spaces inside it` " + strings.Repeat("sed do eiusmod ", 6)
	got := textOf(t, md)
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		if utf8.RuneCountInString(l) > TextWidth && !strings.Contains(l, url) {
			t.Errorf("line over %d columns: %q", TextWidth, l)
		}
	}
	if !strings.Contains(got, url) {
		t.Errorf("URL broken:\n%s", got)
	}
	if !strings.Contains(got, "`a code span with spaces inside it`") {
		t.Errorf("code span broken:\n%s", got)
	}
}

func TestTextNestedBlocksInLists(t *testing.T) {
	md := "- item with a long text " + strings.Repeat("that goes on ", 8) + "\n\n  > a quote inside\n\n  ```\n  code\n  ```\n"
	got := textOf(t, md)
	want := []string{"- item with a long text", "\n  on that goes on", "  > a quote inside", "      code"}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if strings.HasSuffix(l, " ") {
			t.Errorf("trailing space in %q", l)
		}
	}
}
