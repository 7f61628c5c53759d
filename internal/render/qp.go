package render

import (
	"bytes"
	"mime/quotedprintable"
)

// qpLineMax is the longest encoded line before a soft break (RFC 2045: 76
// including the "=").
const qpLineMax = 75

// EncodeQP quoted-printable-encodes text with CRLF line ends.
func EncodeQP(s string) []byte { return encodeQP(s) }

// encodeQP encodes a static part of a body with CRLF line ends.
func encodeQP(s string) []byte {
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	w.Write([]byte(s))
	w.Close()
	return buf.Bytes()
}

const hexUpper = "0123456789ABCDEF"

// appendQPValue encodes a short per-recipient value that starts on a fresh
// encoded line, and ends with a soft break so that the static text after it
// also starts on a fresh line. It never allocates when dst has room.
func appendQPValue(dst []byte, v []byte) []byte {
	col := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		need := 1
		literal := c >= '!' && c <= '~' && c != '=' || c == ' ' && i < len(v)-1
		if !literal {
			need = 3
		}
		if col+need > qpLineMax {
			dst = append(dst, '=', '\r', '\n')
			col = 0
		}
		if literal {
			dst = append(dst, c)
		} else {
			dst = append(dst, '=', hexUpper[c>>4], hexUpper[c&15])
		}
		col += need
	}
	return append(dst, '=', '\r', '\n')
}

// appendHTMLEscaped appends v with the five HTML special characters escaped,
// as html.EscapeString does, without allocating.
func appendHTMLEscaped(dst []byte, v []byte) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '&':
			dst = append(dst, "&amp;"...)
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '"':
			dst = append(dst, "&#34;"...)
		case '\'':
			dst = append(dst, "&#39;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
