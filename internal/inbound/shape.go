package inbound

import (
	"bytes"

	"mailer/internal/fault"
)

// Limits on a mail's MIME shape. Real command mails are a few parts two or
// three levels deep; a deeper tree costs the MIME reader time that grows
// with the square of its depth (10,000 levels took 36 s), and is refused
// before it is read.
const (
	maxBoundaries = 16  // distinct multipart boundaries: at least the nesting depth
	maxDelimiters = 512 // boundary lines: at least the number of parts
)

// checkShape counts a mail's multipart boundaries and delimiter lines in
// one pass over its lines, and refuses a mail past the limits.
func checkShape(raw []byte) error {
	boundaries := map[string]bool{}
	delimiters := 0
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimRight(line, "\r \t")
		if i := bytes.Index(bytes.ToLower(line), []byte("boundary=")); i >= 0 {
			b := bytes.Trim(line[i+len("boundary="):], "\"'; \t")
			if j := bytes.IndexAny(b, "\";"); j >= 0 {
				b = b[:j]
			}
			boundaries[string(b)] = true
			if len(boundaries) > maxBoundaries {
				return fault.Errorf(fault.Invalid, "malformed message: more than %d nested MIME multiparts", maxBoundaries)
			}
		}
		if bytes.HasPrefix(line, []byte("--")) && len(boundaries) > 0 {
			if boundaries[string(bytes.TrimSuffix(line[2:], []byte("--")))] {
				delimiters++
				if delimiters > maxDelimiters {
					return fault.Errorf(fault.Invalid, "malformed message: more than %d MIME parts", maxDelimiters)
				}
			}
		}
	}
	return nil
}
