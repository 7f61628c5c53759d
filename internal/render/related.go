package render

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"mime"
	"path"
	"strings"
)

// relatedPart is an inline image as a part of a multipart/related message.
type relatedPart struct {
	Inline
	cid string // Content-ID without angle brackets
}

// relatedParts names each image by its content, so the same picture named
// twice travels once and a Content-ID never collides.
func (r *Renderer) relatedParts(images []Inline) []relatedPart {
	var parts []relatedPart
	seen := map[string]bool{}
	for _, im := range images {
		if seen[im.Path] {
			continue
		}
		seen[im.Path] = true
		sum := sha256.Sum256(append([]byte(im.Path+"\x00"), im.Data...))
		parts = append(parts, relatedPart{Inline: im, cid: hex.EncodeToString(sum[:12]) + "@" + r.opts.ListHost})
	}
	return parts
}

// writeRelated writes the image parts of a multipart/related body, each
// base64 in lines of 76 characters (RFC 2045), and its closing boundary.
func writeRelated(b *strings.Builder, boundary string, parts []relatedPart) {
	for _, p := range parts {
		b.WriteString("\r\n--" + boundary + "\r\n")
		b.WriteString(foldHeader("Content-Type", p.ContentType))
		b.WriteString("Content-Transfer-Encoding: base64\r\n")
		b.WriteString(foldHeader("Content-ID", "<"+p.cid+">"))
		b.WriteString(foldHeader("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": path.Base(p.Path)})))
		b.WriteString("\r\n")
		enc := base64.StdEncoding.EncodeToString(p.Data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc)
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
}
