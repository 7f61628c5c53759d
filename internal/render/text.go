package render

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/util"
)

// TextWidth is the line length of the plain-text version: readable in an
// 80-column terminal with room for quoting in a reply.
const TextWidth = 72

// textRenderer renders the Markdown AST as plain text for mail readers:
// underlined headings, wrapped paragraphs, indented lists and code, "> "
// quotes, and links as numbered references listed after the text.
type textRenderer struct {
	src  []byte
	refs []string
	ref  map[string]int
}

// renderText returns the body as lines of text and the reference list.
func renderText(src []byte, doc ast.Node) string {
	r := &textRenderer{src: src, ref: map[string]int{}}
	lines := r.blocks(doc, TextWidth)
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if len(r.refs) > 0 {
		b.WriteString("\nLinks:\n\n")
		w := len(strconv.Itoa(len(r.refs))) + 2
		for i, u := range r.refs {
			mark := "[" + strconv.Itoa(i+1) + "]"
			if w+1+utf8.RuneCountInString(u) <= TextWidth {
				fmt.Fprintf(&b, "%-*s %s\n", w, mark, u)
				continue
			}
			// A URL is never broken: mail clients link only the part
			// on the first line. One too long to follow its number
			// has a line of its own, so only URL lines pass the width.
			fmt.Fprintf(&b, "%s\n%s%s\n", mark, strings.Repeat(" ", w+1), u)
		}
	}
	return b.String()
}

// blocks renders the block children of n, separated by blank lines where
// Markdown would show space between them.
func (r *textRenderer) blocks(n ast.Node, width int) []string {
	var out []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		lines := r.block(c, width)
		if len(lines) == 0 {
			continue
		}
		if len(out) > 0 && !tightJoin(c) {
			out = append(out, "")
		}
		out = append(out, lines...)
	}
	return out
}

// tightJoin reports whether c follows its previous sibling without a blank
// line: inside a tight list item, a nested list hangs right under the text.
func tightJoin(c ast.Node) bool {
	prev := c.PreviousSibling()
	if prev == nil {
		return true
	}
	list, ok := c.Parent().Parent().(*ast.List)
	_, inItem := c.Parent().(*ast.ListItem)
	return inItem && ok && list.IsTight
}

func (r *textRenderer) block(n ast.Node, width int) []string {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		return wrap(r.inlines(n), width)
	case *ast.Heading:
		return r.heading(n, width)
	case *ast.ThematicBreak:
		return []string{strings.Repeat(" ", (width-5)/2) + "* * *"}
	case *ast.List:
		return r.list(n, width)
	case *ast.Blockquote:
		return prefixLines(r.blocks(n, width-2), "> ", "> ", ">")
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		var out []string
		for i := range n.Lines().Len() {
			seg := n.Lines().At(i)
			out = append(out, strings.TrimRight("    "+expandTabs(string(seg.Value(r.src))), " \n"))
		}
		return out
	case *ast.HTMLBlock:
		var raw strings.Builder
		for i := range n.Lines().Len() {
			seg := n.Lines().At(i)
			raw.Write(seg.Value(r.src))
		}
		if n.HasClosure() {
			closure := n.ClosureLine
			raw.Write(closure.Value(r.src))
		}
		var l line
		l.text(plainOf(raw.String()))
		if len(l.pieces) == 0 {
			return nil
		}
		return wrap(l.pieces, width)
	case *east.Table:
		return r.table(n, width)
	}
	return r.blocks(n, width)
}

func (r *textRenderer) heading(n *ast.Heading, width int) []string {
	lines := wrap(r.inlines(n), width)
	longest := 0
	for _, l := range lines {
		longest = max(longest, utf8.RuneCountInString(l))
	}
	mark := "~"
	switch n.Level {
	case 1:
		mark = "="
	case 2:
		mark = "-"
	}
	return append(lines, strings.Repeat(mark, min(longest, width)))
}

func (r *textRenderer) list(n *ast.List, width int) []string {
	var out []string
	num := n.Start
	if num == 0 {
		num = 1
	}
	// Ordered markers are padded to the widest so that text lines up.
	count := n.ChildCount()
	markerWidth := 2
	if n.IsOrdered() {
		markerWidth = len(strconv.Itoa(num+count-1)) + 2
	}
	for item := n.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "- "
		if n.IsOrdered() {
			marker = fmt.Sprintf("%-*s", markerWidth, strconv.Itoa(num)+".")
			num++
		}
		body := r.blocks(item, width-markerWidth)
		if len(body) == 0 {
			body = []string{""}
		}
		if len(out) > 0 && !n.IsTight {
			out = append(out, "")
		}
		out = append(out, prefixLines(body, marker, strings.Repeat(" ", markerWidth), "")...)
	}
	return out
}

// prefixLines puts first before the first line and rest before the others;
// empty lines get blank instead, so no line ends in white space.
func prefixLines(lines []string, first, rest, blank string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		p := rest
		if i == 0 {
			p = first
		}
		if l == "" {
			out[i] = strings.TrimRight(p, " ")
			if i > 0 {
				out[i] = blank
			}
			continue
		}
		out[i] = p + l
	}
	return out
}

// inlines turns the inline children of n into wrappable pieces.
func (r *textRenderer) inlines(n ast.Node) []piece {
	var l line
	r.inline(&l, n)
	return l.pieces
}

func (r *textRenderer) inline(l *line, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			r.textNode(l, c.Value(r.src), c.IsRaw())
			switch {
			case c.HardLineBreak():
				l.breakLine()
			case c.SoftLineBreak():
				l.pendingSpace = true
			}
		case *ast.String:
			r.textNode(l, c.Value, c.IsRaw())
		case *ast.CodeSpan:
			l.word("`" + r.codeSpan(c) + "`")
		case *ast.Emphasis:
			mark := "_"
			if c.Level == 2 {
				mark = "*"
			}
			l.word(mark)
			r.inline(l, c)
			l.word(mark)
		case *east.Strikethrough:
			l.word("~~")
			r.inline(l, c)
			l.word("~~")
		case *ast.Link:
			r.link(l, c, string(c.Destination))
		case *ast.AutoLink:
			u := string(c.URL(r.src))
			if c.AutoLinkType == ast.AutoLinkEmail {
				l.word(string(c.Label(r.src)))
				continue
			}
			l.word(u)
		case *ast.Image:
			alt := strings.TrimSpace(r.plain(c))
			if alt == "" {
				alt = "image"
			}
			l.word("[" + alt + "]")
			l.glue(r.refMark(string(c.Destination)))
		case *east.TaskCheckBox:
			if c.IsChecked {
				l.word("[x]")
			} else {
				l.word("[ ]")
			}
			l.pendingSpace = true
		case *ast.RawHTML:
			// Inline tags (<sup>, <kbd>...) add nothing a text reader needs.
		default:
			r.inline(l, c)
		}
	}
}

// link writes the link text followed by its reference number. A link whose
// text is its own address is written once, as the address.
func (r *textRenderer) link(l *line, n ast.Node, dest string) {
	label := strings.TrimSpace(r.plain(n))
	if label == dest || "<"+label+">" == dest || strings.TrimPrefix(dest, "mailto:") == label {
		l.word(dest)
		if strings.HasPrefix(dest, "mailto:") {
			l.last().text = strings.TrimPrefix(l.last().text, "mailto:")
		}
		return
	}
	r.inline(l, n)
	l.glue(r.refMark(dest))
}

func (r *textRenderer) refMark(dest string) string {
	i, ok := r.ref[dest]
	if !ok {
		r.refs = append(r.refs, dest)
		i = len(r.refs)
		r.ref[dest] = i
	}
	return "[" + strconv.Itoa(i) + "]"
}

// textNode adds literal text, with Markdown backslash escapes removed and
// entities decoded (goldmark leaves both to the renderer).
func (r *textRenderer) textNode(l *line, v []byte, raw bool) {
	if !raw {
		v = util.UnescapePunctuations(v)
		v = util.ResolveNumericReferences(v)
		v = util.ResolveEntityNames(v)
	}
	l.text(string(v))
}

func (r *textRenderer) codeSpan(n *ast.CodeSpan) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Value(r.src))
		case *ast.String:
			b.Write(t.Value)
		}
	}
	return strings.ReplaceAll(b.String(), "\n", " ")
}

// plain is the text of an inline subtree without markup, for comparisons
// and image descriptions.
func (r *textRenderer) plain(n ast.Node) string {
	var l line
	saved := r.refs
	savedMap := len(r.ref)
	r.inline(&l, n)
	if len(r.refs) != len(saved) || len(r.ref) != savedMap {
		// plain must not number links; undo anything inline() added.
		for _, u := range r.refs[len(saved):] {
			delete(r.ref, u)
		}
		r.refs = saved
	}
	var parts []string
	for _, p := range l.pieces {
		if !p.hard {
			parts = append(parts, p.text)
		}
	}
	return strings.Join(parts, " ")
}

func expandTabs(s string) string { return strings.ReplaceAll(s, "\t", "    ") }

func unescapeHTML(s string) string { return html.UnescapeString(s) }
