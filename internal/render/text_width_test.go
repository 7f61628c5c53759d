package render

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// urlOnly says a line holds one URL and nothing else: the only line that
// may pass TextWidth, as a URL cannot be broken.
func urlOnly(l string) bool {
	l = strings.TrimSpace(l)
	return strings.Contains(l, "://") && !strings.ContainsAny(l, " \t")
}

// TestIssue06TextWidth: every line of issue-06's text version fits in 72
// columns, except lines holding a URL alone.
func TestIssue06TextWidth(t *testing.T) {
	_, d, _ := renderIssue06(t)
	long := 0
	for i, l := range strings.Split(d.Text, "\n") {
		if n := utf8.RuneCountInString(l); n > TextWidth {
			long++
			if !urlOnly(l) {
				t.Errorf("line %d: %d columns: %q", i+1, n, l)
			}
		}
	}
	t.Logf("%d URL-only lines pass %d columns", long, TextWidth)
}

// TestIssue06TextKeepsEveryWord: each word of the HTML version's body, and
// each link's address, is in the text version.
func TestIssue06TextKeepsEveryWord(t *testing.T) {
	_, d, _ := renderIssue06(t)
	doc, err := html.Parse(strings.NewReader(d.HTML))
	if err != nil {
		t.Fatal(err)
	}
	content := findClass(doc, "content")
	if content == nil {
		t.Fatal("no td.content in the HTML version")
	}
	want := map[string]bool{}
	hrefs := 0
	walkHTML(content, func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			for _, w := range words(n.Data) {
				want[w] = true
			}
		case n.Type == html.ElementNode && n.Data == "a":
			for _, a := range n.Attr {
				if a.Key == "href" {
					want[strings.TrimPrefix(a.Val, "mailto:")] = true
					hrefs++
				}
			}
		}
	})
	have := map[string]bool{}
	for _, w := range words(d.Text) {
		have[w] = true
	}
	missing := 0
	for w := range want {
		if !have[w] {
			missing++
			t.Errorf("the text version lacks %q", w)
		}
	}
	if len(want) < 300 || hrefs < 20 {
		t.Fatalf("only %d words and %d links found in the HTML: the comparison is void", len(want), hrefs)
	}
	t.Logf("%d distinct words and %d links of the HTML, %d missing from the text", len(want), hrefs, missing)
}

// words splits s at white space and trims the punctuation that marks up
// text (emphasis, code, brackets) or ends a sentence.
func words(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if w := strings.Trim(f, ".,;:!?()[]{}<>\"'`*_~"); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func findClass(n *html.Node, class string) *html.Node {
	var found *html.Node
	walkHTML(n, func(m *html.Node) {
		if found != nil || m.Type != html.ElementNode {
			return
		}
		for _, a := range m.Attr {
			if a.Key == "class" && strings.Contains(" "+a.Val+" ", " "+class+" ") {
				found = m
			}
		}
	})
	return found
}

func walkHTML(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walkHTML(c, f)
	}
}
