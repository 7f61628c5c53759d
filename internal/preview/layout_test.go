package preview

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"mailer/internal/browsertest"
)

// TestPreviewLayoutInBrowser: at 1300 px the HTML and plain-text versions
// sit side by side (one's box ends where the other's begins, at the same
// height); at 375 px they are stacked, each as wide as the screen allows,
// and the page never scrolls sideways. Screenshots are kept.
func TestPreviewLayoutInBrowser(t *testing.T) {
	e := newPreviewEnv(t)
	// The layout is CSS alone (a media query): the page runs no script.
	if _, _, body := e.get("/"); bytes.Contains(bytes.ToLower(body), []byte("<script")) {
		t.Errorf("the preview page carries a script:\n%s", body)
	}
	ctx := browsertest.New(t)
	for _, width := range []int64{1300, 375} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(e.ts.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS("section.text pre"))); err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		m, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(() => {
			const h = document.querySelector("section.html").getBoundingClientRect();
			const t = document.querySelector("section.text").getBoundingClientRect();
			return {hLeft: h.left, hRight: h.right, hTop: h.top, hBottom: h.bottom, hWidth: h.width,
				tLeft: t.left, tRight: t.right, tTop: t.top, tWidth: t.width,
				page: document.documentElement.scrollWidth, view: window.innerWidth};
		})()`))
		if err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		path := browsertest.Screenshot(ctx, t, fmt.Sprintf("preview-%dpx.png", width))
		t.Logf("width %d: %v; screenshot %s", width, m, path)
		if m["page"] > m["view"] {
			t.Errorf("width %d: the page is %.0f px wide: it scrolls sideways", width, m["page"])
		}
		if width == 1300 {
			sideBySide := m["hRight"] <= m["tLeft"] && m["hTop"] == m["tTop"] && m["hWidth"] >= 480 && m["tRight"] <= m["view"]
			if !sideBySide {
				t.Errorf("width 1300: HTML %.0f-%.0f px from top %.0f, text %.0f-%.0f px from top %.0f: not side by side",
					m["hLeft"], m["hRight"], m["hTop"], m["tLeft"], m["tRight"], m["tTop"])
			}
			continue
		}
		stacked := m["tTop"] >= m["hBottom"] && m["hLeft"] == m["tLeft"] && m["hRight"] <= m["view"] && m["tRight"] <= m["view"]
		if !stacked {
			t.Errorf("width %d: HTML %.0f-%.0f px ending at %.0f, text %.0f-%.0f px from %.0f: not stacked",
				width, m["hLeft"], m["hRight"], m["hBottom"], m["tLeft"], m["tRight"], m["tTop"])
		}
	}
}
