// Package svgchart draws the owners' console's charts as SVG on the
// server: no script, no style attribute (the console's Content-Security-
// Policy allows neither), classes for the stylesheet to colour, and a
// title and text fallback for screen readers.
package svgchart

import (
	"fmt"
	"html/template"
	"strings"
)

// Bar is one column of a two-sided bar chart: Up above the axis, Down
// below it (joins and departures of a day).
type Bar struct {
	Label    string // the column's name, e.g. a date
	Up, Down int
}

// Size of a chart in SVG user units; it scales to its container.
const (
	width, height = 720, 180
	pad           = 4
)

// Bars draws a two-sided bar chart of bars, left to right, with title as
// its accessible name and a <title> per column ("2026-11-30: 4 joined, 1
// left"), so a pointer or a screen reader can read any bar.
func Bars(title, upWord, downWord string, bars []Bar) template.HTML {
	top := 1
	for _, b := range bars {
		top = max(top, b.Up, b.Down)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" preserveAspectRatio="none">`,
		width, height, template.HTMLEscapeString(title))
	fmt.Fprintf(&sb, `<title>%s</title>`, template.HTMLEscapeString(title))
	mid := height / 2
	fmt.Fprintf(&sb, `<line class="axis" x1="0" y1="%d" x2="%d" y2="%d"/>`, mid, width, mid)
	if len(bars) > 0 {
		step := float64(width) / float64(len(bars))
		w := max(step-1, 1)
		for i, b := range bars {
			x := float64(i) * step
			up := scale(b.Up, top, mid-pad)
			down := scale(b.Down, top, mid-pad)
			fmt.Fprintf(&sb, `<g><title>%s: %d %s, %d %s</title>`, template.HTMLEscapeString(b.Label), b.Up, upWord, b.Down, downWord)
			fmt.Fprintf(&sb, `<rect class="up" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x, float64(mid)-up, w, up)
			fmt.Fprintf(&sb, `<rect class="down" x="%.1f" y="%d" width="%.1f" height="%.1f"/></g>`, x, mid, w, down)
		}
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// scale maps n of top onto room units; a non-zero n is always visible.
func scale(n, top, room int) float64 {
	if n <= 0 {
		return 0
	}
	return max(float64(n)*float64(room)/float64(top), 1)
}
