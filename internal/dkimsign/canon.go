package dkimsign

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math/bits"
)

// bodyHash hashes a body in the relaxed canonical form (RFC 6376 section
// 3.4.4) as it is written: whitespace runs become one space, whitespace at
// the ends of lines and empty lines at the end of the body are dropped, and
// a non-empty body ends with one CRLF. It follows go-msgauth's
// canonicalizer byte for byte, bare LFs and CRs included (the fuzz test
// holds it to that), and allocates nothing once warm.
type bodyHash struct {
	h       hash.Hash
	wsp     bool   // whitespace seen since the last character
	pend    []byte // line-break bytes held back since the last character
	cr      bool   // the last byte was a CR: an LF after it needs none added
	written bool   // some character was written
	one     [1]byte
}

func newBodyHash() *bodyHash { return &bodyHash{h: sha256.New(), pend: make([]byte, 0, 16)} }

// clone returns an independent copy, to continue from a shared prefix.
func (b *bodyHash) clone() *bodyHash {
	h, err := b.h.(hash.Cloner).Clone()
	if err != nil {
		panic("sha256 cannot be cloned: " + err.Error()) // the standard library's can
	}
	c := *b
	c.h = h
	c.pend = append(make([]byte, 0, max(16, len(b.pend))), b.pend...)
	return &c
}

func (b *bodyHash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		stop := 0
		if !b.wsp && !b.cr {
			var done int
			done, stop = b.lines(p)
			p = p[done:]
		}
		p = p[b.slow(p, stop):]
	}
	return n, nil
}

// lines hashes the whole lines at the start of p that are already in
// relaxed form (most of a message is), looking at eight bytes at a time,
// and returns how many bytes they took and where in the rest the first
// byte that is not in relaxed form is. Each line's CRLF is held back, as
// it would be the last if only empty lines followed.
func (b *bodyHash) lines(p []byte) (done, stop int) {
	for {
		q := p[done:]
		i := irregular(q)
		if i == 0 || i+1 >= len(q) || q[i] != '\r' || q[i+1] != '\n' || q[i-1] == ' ' {
			stop = i
			break
		}
		done += i + 2
	}
	if done > 0 {
		// One write for the run, its last CRLF held back.
		if len(b.pend) > 0 {
			b.h.Write(b.pend)
			b.pend = b.pend[:0]
		}
		b.h.Write(p[:done-2])
		b.written = true
		b.pend = append(b.pend, '\r', '\n')
	}
	return done, stop
}

// slow takes bytes one by one through p[stop], the first one not in
// relaxed form, and on until a character leaves no whitespace or CR
// pending, where the fast path may pick up again, even in the middle of a
// line; it returns how many it took. Every byte is looked at once by each
// path, so a long line that is not in relaxed form stays linear.
func (b *bodyHash) slow(p []byte, stop int) int {
	for i, c := range p {
		if i > stop && !b.wsp && !b.cr {
			return i
		}
		b.step(c)
	}
	return len(p)
}

// irregular is the index of the first byte of p that relaxed form would
// change or that ends a line: a tab, CR or LF, or a space after a space
// (len(p) when there is none). It looks at eight bytes at a time.
func irregular(p []byte) int {
	i := 0
	var carry uint64 // the last word's top byte was a space
	for ; i+8 <= len(p); i += 8 {
		w := binary.LittleEndian.Uint64(p[i:])
		sp := byteMask(w, ' ')
		if bad := byteMask(w, '\t') | byteMask(w, '\r') | byteMask(w, '\n') | sp&(sp<<8|carry); bad != 0 {
			return i + bits.TrailingZeros64(bad)/8
		}
		carry = sp >> 56
	}
	prev := carry != 0
	for ; i < len(p); i++ {
		c := p[i]
		if c == '\t' || c == '\r' || c == '\n' || c == ' ' && prev {
			return i
		}
		prev = c == ' '
	}
	return len(p)
}

// byteMask has the high bit of each byte of w that equals c set, and no
// other bit.
func byteMask(w uint64, c byte) uint64 {
	const lo7 = 0x7f7f7f7f7f7f7f7f
	x := w ^ (uint64(c) * 0x0101010101010101)
	return ^((x&lo7 + lo7) | x | lo7)
}

// step takes one byte the slow way.
func (b *bodyHash) step(c byte) {
	switch c {
	case ' ', '\t':
		b.wsp = true
		b.cr = false
	case '\r', '\n':
		b.wsp = false
		if c == '\n' && !b.cr {
			b.pend = append(b.pend, '\r')
		}
		b.pend = append(b.pend, c)
		b.cr = c == '\r'
	default:
		b.cr = false
		if len(b.pend) > 0 {
			b.h.Write(b.pend)
			b.pend = b.pend[:0]
		}
		if b.wsp {
			b.h.Write(space)
			b.wsp = false
		}
		b.one[0] = c
		b.h.Write(b.one[:])
		b.written = true
	}
}

var space = []byte{' '}

// sum ends the body and returns its hash.
func (b *bodyHash) sum() []byte {
	if b.written {
		b.h.Write([]byte("\r\n"))
	}
	return b.h.Sum(nil)
}

// relaxedHeader is a header field in relaxed form (RFC 6376 section
// 3.4.2): name in lower case, unfolded, whitespace runs as one space, none
// around the colon or at the end; as go-msgauth does it.
func relaxedHeader[T string | []byte](dst []byte, field T) []byte {
	colon := -1
	for i := 0; i < len(field); i++ {
		if field[i] == ':' {
			colon = i
			break
		}
	}
	name, value := field, field[len(field):]
	if colon >= 0 {
		name, value = field[:colon], field[colon+1:]
	}
	start := len(dst)
	dst = appendCollapsed(dst, name)
	for i := start; i < len(dst); i++ {
		if c := dst[i]; 'A' <= c && c <= 'Z' {
			dst[i] = c + 'a' - 'A'
		}
	}
	dst = append(dst, ':')
	dst = appendCollapsed(dst, value)
	return append(dst, "\r\n"...)
}

// appendCollapsed appends s with whitespace (SP, HTAB, CR, LF) runs made
// one space and none at either end.
func appendCollapsed[T string | []byte](dst []byte, s T) []byte {
	space := false
	wrote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\r', '\n':
			space = wrote
		default:
			if space {
				dst = append(dst, ' ')
				space = false
			}
			dst = append(dst, c)
			wrote = true
		}
	}
	return dst
}
