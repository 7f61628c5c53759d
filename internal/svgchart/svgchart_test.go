package svgchart

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestBars: the chart is well-formed SVG, one group a bar with its words,
// the tallest bar fills half the height, no style attribute or script
// (the console's CSP forbids both), and labels are escaped.
func TestBars(t *testing.T) {
	svg := string(Bars(`Joins & departures`, "joined", "left", []Bar{
		{Label: "2026-11-29", Up: 4}, {Label: "2026-11-30", Up: 2, Down: 1}, {Label: "<b>", Down: 0}}))
	d := xml.NewDecoder(strings.NewReader(svg))
	var rects, groups int
	var heights []string
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed: %v\n%s", err, svg)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "rect":
				rects++
				for _, a := range se.Attr {
					if a.Name.Local == "height" {
						heights = append(heights, a.Value)
					}
				}
			case "g":
				groups++
			case "script":
				t.Fatal("a script in the chart")
			}
			for _, a := range se.Attr {
				if a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") {
					t.Fatalf("attribute %s in the chart", a.Name.Local)
				}
			}
		}
	}
	if groups != 3 || rects != 6 {
		t.Fatalf("%d groups, %d rects:\n%s", groups, rects, svg)
	}
	if heights[0] != "86.0" || heights[2] != "43.0" || heights[3] != "21.5" || heights[5] != "0.0" {
		t.Fatalf("heights %v", heights)
	}
	for _, want := range []string{"2026-11-30: 2 joined, 1 left", "&lt;b&gt;", `aria-label="Joins &amp; departures"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if empty := string(Bars("none", "a", "b", nil)); !strings.HasPrefix(empty, "<svg") || !strings.HasSuffix(empty, "</svg>") {
		t.Errorf("empty chart %q", empty)
	}
}
