package render

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chromedp/chromedp"

	"mailer/internal/browsertest"
	"mailer/internal/issue"
)

func renderWide(t *testing.T) (*Rendered, *delivered) {
	t.Helper()
	iss, err := issue.Load("testdata/wide-table.md")
	if err != nil {
		t.Fatal(err)
	}
	rd, err := mustRenderer(t).Render(iss, bpfList)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rd.Message.Personalise(nil, alice)
	if err != nil {
		t.Fatal(err)
	}
	return rd, parseMessage(t, raw)
}

// TestWideContentInBrowser: a table wider than a phone and a long code
// line scroll inside their own boxes at 375, 800 and 1300 px; the page
// never scrolls sideways, every cell can be scrolled into view, the
// footer's links stay on screen, and code keeps its lines. Screenshots are
// kept.
func TestWideContentInBrowser(t *testing.T) {
	_, d := renderWide(t)
	// Mail clients drop <style> but keep style attributes: the box's
	// overflow must be inlined on the element itself.
	if n := strings.Count(d.HTML, `<div class="scroll" style="`); n != 2 || !strings.Contains(d.HTML, "overflow-x:auto") {
		t.Errorf("%d scroll boxes carry their own style; overflow-x:auto inlined: %v", n, strings.Contains(d.HTML, "overflow-x:auto"))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, d.HTML)
	}))
	defer srv.Close()
	ctx := browsertest.New(t)
	for _, width := range []int64{375, 800, 1300} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(srv.URL),
			chromedp.WaitVisible(chromedp.CSS("td.content"))); err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		m, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](reachableJS+`(() => {
			const boxes = [...document.querySelectorAll(".scroll")];
			const links = [...document.querySelectorAll("td.footer a")];
			const pre = document.querySelector("pre");
			return {
				page: document.documentElement.scrollWidth, view: window.innerWidth,
				boxes: boxes.length,
				scrolling: boxes.filter(b => b.scrollWidth > b.clientWidth).length,
				boxRight: Math.max(...boxes.map(b => b.getBoundingClientRect().right)),
				linkRight: Math.max(...links.map(a => a.getBoundingClientRect().right)),
				links: links.length,
				preLines: pre.textContent.trim().split("\n").length,
				preHeightLines: pre.getBoundingClientRect().height / parseFloat(getComputedStyle(pre).lineHeight),
				unreachable: unreachableCells(boxes),
			};
		})()`))
		if err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		path := browsertest.Screenshot(ctx, t, fmt.Sprintf("wide-table-%dpx.png", width))
		t.Logf("width %d: %v; screenshot %s", width, m, path)
		switch {
		case m["unreachable"] > 0:
			t.Errorf("width %d: %.0f cells cannot be scrolled into view", width, m["unreachable"])
		case m["page"] > m["view"]:
			t.Errorf("width %d: the page is %.0f px wide: it scrolls sideways", width, m["page"])
		case m["boxes"] != 2 || m["boxRight"] > m["view"]:
			t.Errorf("width %d: %v boxes, right edge %.0f", width, m["boxes"], m["boxRight"])
		case m["scrolling"] < 1:
			t.Errorf("width %d: no box scrolls: the content was squeezed or cut", width)
		case m["links"] < 2 || m["linkRight"] > m["view"]:
			t.Errorf("width %d: footer links end at %.0f px, off a %.0f px screen", width, m["linkRight"], m["view"])
		case m["preHeightLines"] > m["preLines"]+1.5:
			t.Errorf("width %d: the code block is %.1f lines high for %v lines: it wraps", width, m["preHeightLines"], m["preLines"])
		}
	}
}

// reachableJS defines unreachableCells(boxes): it scrolls each box to its
// far end and counts the cells (and code) whose right edge is still beyond
// the box's, that is content a reader cannot bring into view; a box wider
// inside than outside that a reader cannot scroll (overflow hidden or
// visible) counts all its cells. Each box is scrolled back afterwards.
const reachableJS = `function unreachableCells(boxes) {
	let n = 0;
	for (const b of boxes) {
		const cells = b.querySelectorAll("th, td, pre");
		if (b.scrollWidth > b.clientWidth && !["auto", "scroll"].includes(getComputedStyle(b).overflowX)) {
			n += cells.length;
			continue;
		}
		b.scrollLeft = b.scrollWidth;
		const right = b.getBoundingClientRect().right + 1;
		for (const c of cells) {
			if (c.getBoundingClientRect().right > right) n++;
		}
		b.scrollLeft = 0;
	}
	return n;
};
`

// TestWideTableInText: the plain-text version keeps within 72 columns by
// turning a wide table into records.
func TestWideTableInText(t *testing.T) {
	_, d := renderWide(t)
	for _, l := range strings.Split(d.Text, "\n") {
		if utf8.RuneCountInString(l) > TextWidth && strings.Contains(strings.TrimSpace(l), " ") && !strings.Contains(l, "SEC(") {
			t.Errorf("%d columns: %q", utf8.RuneCountInString(l), l)
		}
	}
	for _, want := range []string{"Helper: `bpf_map_lookup_elem`", "Since: 3.19", "Notes: XDP only"} {
		if !strings.Contains(d.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, d.Text)
		}
	}
}
