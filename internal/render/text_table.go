package render

import (
	"fmt"
	"strings"
	"unicode/utf8"

	east "github.com/yuin/goldmark/extension/ast"
)

// table lays a table out in columns when it fits the width, and otherwise
// as a list of records ("Header: value" lines, one block per row), which a
// terminal and a phone both read without lines running off the edge.
func (r *textRenderer) table(t *east.Table, width int) []string {
	var rows [][][]piece
	for row := t.FirstChild(); row != nil; row = row.NextSibling() {
		var cells [][]piece
		for c := row.FirstChild(); c != nil; c = c.NextSibling() {
			cells = append(cells, r.inlines(c))
		}
		rows = append(rows, cells)
	}
	widths := map[int]int{}
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(oneLine(c)))
		}
	}
	total := 0
	for i := range widths {
		total += widths[i] + 2
	}
	if total-2 > width && len(rows) > 1 {
		return records(rows, width)
	}
	return columns(rows, widths)
}

func oneLine(p []piece) string { return strings.Join(wrap(p, 1<<30), " ") }

func columns(rows [][][]piece, widths map[int]int) []string {
	var out []string
	for ri, row := range rows {
		var b strings.Builder
		for i, c := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			s := oneLine(c)
			b.WriteString(s + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s)))
		}
		out = append(out, strings.TrimRight(b.String(), " "))
		if ri == 0 {
			var u strings.Builder
			for i := range row {
				if i > 0 {
					u.WriteString("  ")
				}
				u.WriteString(strings.Repeat("-", widths[i]))
			}
			out = append(out, u.String())
		}
	}
	return out
}

// records writes each body row as "Header: value" lines, values wrapped
// under themselves, rows apart by a blank line.
func records(rows [][][]piece, width int) []string {
	head := rows[0]
	var out []string
	for ri, row := range rows[1:] {
		if ri > 0 {
			out = append(out, "")
		}
		for i, c := range row {
			label := ""
			if i < len(head) {
				label = oneLine(head[i])
			}
			if label == "" {
				label = fmt.Sprintf("Column %d", i+1)
			}
			// Values hang under themselves, after "Label: ".
			indent := min(utf8.RuneCountInString(label)+2, 24)
			avail := max(width-indent, 20)
			lines := wrap(splitLong(c, avail), avail)
			if len(lines) == 0 {
				lines = []string{""}
			}
			out = append(out, strings.TrimRight(label+": "+lines[0], " "))
			for _, l := range lines[1:] {
				out = append(out, strings.Repeat(" ", indent)+l)
			}
		}
	}
	return out
}

// splitLong breaks pieces longer than width at their own spaces: in a
// table record a long code span (a C prototype) may wrap, as it could
// not keep a row of columns within the width either.
func splitLong(ps []piece, width int) []piece {
	var out []piece
	for _, p := range ps {
		if utf8.RuneCountInString(p.text) <= width || !strings.Contains(p.text, " ") {
			out = append(out, p)
			continue
		}
		for i, w := range strings.Split(p.text, " ") {
			if w == "" {
				continue
			}
			out = append(out, piece{text: w, space: p.space || i > 0})
		}
	}
	return out
}
