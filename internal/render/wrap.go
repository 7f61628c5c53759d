package render

import (
	"strings"
	"unicode/utf8"
)

// A piece is a run of text that wrapping never splits: a word, a URL, a
// whole inline code span, or a word with the link marker that follows it.
type piece struct {
	text string
	// space says a space, and so a possible line break, comes before it.
	space bool
	// hard starts a new line (a Markdown hard line break).
	hard bool
}

// line gathers the pieces of one paragraph.
type line struct {
	pieces       []piece
	pendingSpace bool
}

// word appends text; it joins the previous piece when no space came between.
func (l *line) word(s string) {
	if s == "" {
		return
	}
	if !l.pendingSpace && len(l.pieces) > 0 && !l.last().hard {
		l.last().text += s
		return
	}
	l.pieces = append(l.pieces, piece{text: s, space: l.pendingSpace && len(l.pieces) > 0})
	l.pendingSpace = false
}

// glue appends text to the previous piece with a space that cannot break,
// as for "text [3]".
func (l *line) glue(s string) {
	if len(l.pieces) == 0 {
		l.word(s)
		return
	}
	l.last().text += " " + s
	l.pendingSpace = false
}

// text splits running text into words at white space.
func (l *line) text(s string) {
	for len(s) > 0 {
		i := strings.IndexAny(s, " \t\n")
		if i < 0 {
			l.word(s)
			return
		}
		l.word(s[:i])
		l.pendingSpace = true
		s = s[i+1:]
	}
}

// breakLine forces a line break.
func (l *line) breakLine() {
	l.pieces = append(l.pieces, piece{hard: true})
	l.pendingSpace = false
}

func (l *line) last() *piece { return &l.pieces[len(l.pieces)-1] }

// wrap lays pieces out greedily in lines of at most width runes. A piece
// longer than width gets a line of its own and is never broken.
func wrap(pieces []piece, width int) []string {
	var out []string
	var cur strings.Builder
	n := 0
	flush := func() {
		out = append(out, strings.TrimRight(cur.String(), " "))
		cur.Reset()
		n = 0
	}
	for _, p := range pieces {
		if p.hard {
			flush()
			continue
		}
		w := utf8.RuneCountInString(p.text)
		switch {
		case n == 0:
		case n+1+w <= width:
			if p.space {
				cur.WriteByte(' ')
				n++
			}
		case !p.space:
			// Glued to the previous piece: keep them together even if long.
		default:
			flush()
		}
		cur.WriteString(p.text)
		n += w
	}
	if cur.Len() > 0 || len(out) == 0 {
		flush()
	}
	return out
}
