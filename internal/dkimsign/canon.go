package dkimsign

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"hash"
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
	for i := 0; i < len(p); {
		if !b.wsp && !b.cr {
			if n := b.lines(p[i:]); n > 0 {
				i += n
				continue
			}
		}
		b.step(p[i])
		i++
	}
	return len(p), nil
}

// lines hashes the whole lines at the start of p that are already in
// relaxed form, and returns how many bytes they took: most of a message
// is, and checking a line with the vectorised searches of package bytes
// is much faster than going byte by byte. Each line's CRLF is held back,
// as it would be the last if only empty lines followed.
func (b *bodyHash) lines(p []byte) int {
	n := 0
	for {
		end := bytes.IndexByte(p[n:], '\n')
		if end < 1 || p[n+end-1] != '\r' || !canonicalLine(p[n:n+end-1]) {
			break
		}
		n += end + 1
	}
	if n == 0 {
		return 0
	}
	// One write for the run, its last CRLF held back.
	if len(b.pend) > 0 {
		b.h.Write(b.pend)
		b.pend = b.pend[:0]
	}
	b.h.Write(p[:n-2])
	b.written = true
	b.pend = append(b.pend, '\r', '\n')
	return n
}

// canonicalLine reports whether a line (without its CRLF) is its own
// relaxed form: not empty, no tab, CR or LF, no run of spaces, no space
// at the end. It looks at eight bytes at a time.
func canonicalLine(l []byte) bool {
	if len(l) == 0 || l[len(l)-1] == ' ' {
		return false
	}
	var carry uint64 // the last word's top byte was a space
	for len(l) >= 8 {
		w := binary.LittleEndian.Uint64(l)
		sp := byteMask(w, ' ')
		if byteMask(w, '\t')|byteMask(w, '\r')|byteMask(w, '\n') != 0 || sp&(sp<<8|carry) != 0 {
			return false
		}
		carry = sp >> 56
		l = l[8:]
	}
	prev := carry != 0
	for _, c := range l {
		if c == '\t' || c == '\r' || c == '\n' || c == ' ' && prev {
			return false
		}
		prev = c == ' '
	}
	return true
}

// byteMask has the high bit of each byte of w that equals c set, and no
// other bit.
func byteMask(w uint64, c byte) uint64 {
	const lo7, hi = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
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
