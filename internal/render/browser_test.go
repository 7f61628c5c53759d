package render

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"mailer/internal/browsertest"
)

// TestIssue06InBrowser loads the delivered HTML version in headless Chromium
// at a phone's and a desktop's width: the page must never scroll sideways,
// and the column must stay within 640 pixels (at 375, 800 and 1300 px).
// Screenshots are kept.
func TestIssue06InBrowser(t *testing.T) {
	_, d, _ := renderIssue06(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, d.HTML)
	}))
	defer srv.Close()
	ctx := browsertest.New(t)
	for _, width := range []int64{375, 800, 1300} {
		if err := chromedp.Do(ctx,
			chromedp.EmulateViewport(width, 900),
			chromedp.Navigate(srv.URL),
			chromedp.WaitVisible(chromedp.CSS("td.content")),
		); err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		sizes, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[document.documentElement.scrollWidth, window.innerWidth,
			document.querySelector("table.container").getBoundingClientRect().width]`))
		if err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		scrollWidth, innerWidth, columnWidth := sizes[0], sizes[1], sizes[2]
		path := browsertest.Screenshot(ctx, t, fmt.Sprintf("issue-06-%dpx.png", width))
		t.Logf("width %d: scrollWidth %.0f, column %.0f px; screenshot %s", width, scrollWidth, columnWidth, path)
		if scrollWidth > innerWidth {
			t.Errorf("width %d: page is %.0f px wide: it scrolls sideways", width, scrollWidth)
		}
		if columnWidth > 640 || columnWidth > float64(width) {
			t.Errorf("width %d: column is %.0f px", width, columnWidth)
		}
	}
}
