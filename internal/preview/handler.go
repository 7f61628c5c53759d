package preview

import (
	"log/slog"
	"net/http"
)

// Handler serves the side-by-side page at /, the HTML version at /html,
// the text version at /text, the whole message at /eml and the issue's own
// files under /archive/LIST/SLUG/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.serve(func(w http.ResponseWriter, out *rendered) error {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return s.page.Execute(w, out.page)
	}))
	mux.HandleFunc("GET /html", s.serve(func(w http.ResponseWriter, out *rendered) error {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, err := w.Write([]byte(out.html))
		return err
	}))
	mux.HandleFunc("GET /archive/{list}/{slug}/{path...}", s.asset)
	for path, body := range map[string]func(*rendered) []byte{
		"GET /text": func(o *rendered) []byte { return []byte(o.page.Text) },
		"GET /eml":  func(o *rendered) []byte { return o.eml },
	} {
		mux.HandleFunc(path, s.serve(func(w http.ResponseWriter, out *rendered) error {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, err := w.Write(body(out))
			return err
		}))
	}
	return mux
}

// serve renders the issue for the request and has write send one view of
// it. The rendered HTML is the issue author's: the policy keeps its scripts
// from running, and images may come from anywhere, as in a mail client.
func (s *Server) serve(write func(http.ResponseWriter, *rendered) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out, err := s.render(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data:")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err := write(w, out); err != nil {
			slog.Warn("preview", "err", err)
		}
	}
}

// asset serves one of the issue's own files from beside it.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	job, release, err := s.open(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer release()
	assets, err := job.Assets([]string{r.PathValue("path")})
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", assets[0].ContentType)
	w.Write(assets[0].Data)
}
