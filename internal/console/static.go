package console

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"

	"mailer/internal/fault"
)

// static is one embedded file served under a name that carries its hash
// (console.3f2a91c0.css): the name changes when the file does, so it can be
// cached for a year (RFC 9111 §5.2.2.1 max-age; RFC 8246 immutable).
type static struct {
	name, contentType string
	body              []byte
}

// statics are the stylesheet and the script, by their hashed names; CSS
// and JS are what the templates call them.
type statics struct {
	byName  map[string]static
	CSS, JS string // the URL paths
}

func loadStatics(fsys fs.FS) (statics, error) {
	st := statics{byName: map[string]static{}}
	for _, f := range []struct {
		file, ext, ctype string
		path             *string
	}{
		{"console/console.css", "css", "text/css; charset=utf-8", &st.CSS},
		{"console/console.js", "js", "text/javascript; charset=utf-8", &st.JS},
	} {
		body, err := fs.ReadFile(fsys, f.file)
		if err != nil {
			return st, fault.Wrap(fault.Internal, err, "console templates")
		}
		sum := sha256.Sum256(body)
		name := "console." + hex.EncodeToString(sum[:4]) + "." + f.ext
		st.byName[name] = static{name: name, contentType: f.ctype, body: body}
		*f.path = "/static/" + name
	}
	return st, nil
}

func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.static.byName[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+f.name+`"`)
	if r.Header.Get("If-None-Match") == `"`+f.name+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(f.body)
}
