package dkimsign

import (
	"crypto/sha256"
	"hash"
	"strings"
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
		if !b.wsp && !b.cr && len(b.pend) == 0 {
			if n := canonicalRun(p[i:]); n > 0 {
				b.h.Write(p[i : i+n])
				b.written = true
				i += n
				continue
			}
		}
		b.step(p[i])
		i++
	}
	return len(p), nil
}

// canonicalRun is the length of the start of p that is already in relaxed
// form and ends with a character: characters, single spaces between
// characters, and line breaks followed by a character. Most of a message
// is, so it is hashed as it is.
func canonicalRun(p []byte) int {
	k := 0
	for k < len(p) {
		switch {
		case plain(p[k]):
			k++
		case p[k] == ' ' && k+1 < len(p) && plain(p[k+1]):
			k += 2
		case p[k] == '\r' && k+2 < len(p) && p[k+1] == '\n' && plain(p[k+2]):
			k += 3
		default:
			return k
		}
	}
	return k
}

func plain(c byte) bool { return c != ' ' && c != '\t' && c != '\r' && c != '\n' }

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
func relaxedHeader(dst []byte, field string) []byte {
	k, v, ok := strings.Cut(field, ":")
	dst = append(dst, strings.ToLower(strings.TrimSpace(k))...)
	dst = append(dst, ':')
	if !ok {
		return append(dst, "\r\n"...)
	}
	first := true
	for _, w := range strings.FieldsFunc(v, isFWS) {
		if !first {
			dst = append(dst, ' ')
		}
		dst = append(dst, w...)
		first = false
	}
	return append(dst, "\r\n"...)
}

func isFWS(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }
