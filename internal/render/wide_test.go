package render

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
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
// line scroll inside their own boxes at 375 and 800 px; the page never
// scrolls sideways, the footer's links stay on screen, and code keeps its
// lines. Screenshots are kept.
func TestWideContentInBrowser(t *testing.T) {
	_, d := renderWide(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, d.HTML)
	}))
	defer srv.Close()
	ctx := browsertest.New(t)
	for _, width := range []int64{375, 800} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(srv.URL),
			chromedp.WaitVisible(chromedp.CSS("td.content"))); err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		m, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(() => {
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
			};
		})()`))
		if err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			path := browsertest.ArtifactPath(t, fmt.Sprintf("wide-table-%dpx.png", width))
			os.WriteFile(path, shot, 0o644)
			t.Logf("width %d: %v; screenshot %s", width, m, path)
		}
		switch {
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
