package web

import (
	"encoding/xml"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"mailer/internal/store"
)

// archiveGroup is one list's issues on the archive page.
type archiveGroup struct {
	List, Title string
	Issues      []store.ArchivedIssue
}

func (s *Server) archiveIndex(w http.ResponseWriter, r *http.Request) {
	issues, err := s.store.Archive(r.Context(), nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lists, err := s.store.Lists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var groups []archiveGroup
	for _, l := range lists {
		g := archiveGroup{List: l.Name, Title: l.Title}
		for _, is := range issues {
			if is.List == l.Name {
				g.Issues = append(g.Issues, is)
			}
		}
		if len(g.Issues) > 0 {
			groups = append(groups, g)
		}
	}
	s.render(w, http.StatusOK, "archive", pageData{PageTitle: "Past issues", Groups: groups})
}

func (s *Server) archiveList(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r)
	if !ok {
		return
	}
	issues, err := s.store.Archive(r.Context(), l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var groups []archiveGroup
	if len(issues) > 0 {
		groups = []archiveGroup{{List: l.Name, Title: l.Title, Issues: issues}}
	}
	s.render(w, http.StatusOK, "archive", withList(l, pageData{Groups: groups}))
}

// archiveIssue serves the issue's web version, as rendered when it was sent.
func (s *Server) archiveIssue(w http.ResponseWriter, r *http.Request) {
	l, err := s.store.GetList(r.Context(), r.PathValue("list"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	is, err := s.store.ArchiveIssue(r.Context(), l, r.PathValue("slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(is.HTML))
}

// Atom (RFC 4287) elements.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomEntry struct {
	Title   string       `xml:"title"`
	ID      string       `xml:"id"`
	Updated string       `xml:"updated"`
	Link    atomLink     `xml:"link"`
	Summary string       `xml:"summary,omitempty"`
	Content *atomContent `xml:"content,omitempty"`
}

// atomContent is the whole issue, as escaped HTML (RFC 4287 type="html").
type atomContent struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

func (s *Server) feed(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r)
	if !ok {
		return
	}
	issues, err := s.store.Archive(r.Context(), l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	book := s.o.Book
	base := book.ArchiveURL(l.Name, "")
	f := atomFeed{Title: l.Title, ID: base, Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
		Links: []atomLink{{Href: base + "feed.atom", Rel: "self", Type: "application/atom+xml"}, {Href: base, Rel: "alternate", Type: "text/html"}}}
	for i, is := range issues {
		u := is.Date.UTC().Format(time.RFC3339)
		if i == 0 {
			f.Updated = u
		}
		f.Entries = append(f.Entries, atomEntry{Title: is.Title, ID: book.ArchiveURL(l.Name, is.Slug), Updated: u,
			Link: atomLink{Href: book.ArchiveURL(l.Name, is.Slug), Rel: "alternate", Type: "text/html"}, Summary: is.Summary})
		if is.Content != "" {
			f.Entries[len(f.Entries)-1].Content = &atomContent{Type: "html", Body: is.Content}
		}
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	enc.Encode(f)
}

// archiveAsset serves one of an issue's own files (its images and
// attachments). They are the editor's, but served from the same origin as
// the unsubscribe pages, so they run nothing: a sandbox, no sniffing, and
// anything but an image is a download.
func (s *Server) archiveAsset(w http.ResponseWriter, r *http.Request) {
	l, err := s.store.GetList(r.Context(), r.PathValue("list"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.store.GetAsset(r.Context(), l, r.PathValue("slug"), r.PathValue("path"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox")
	h.Set("Cache-Control", "public, max-age=86400")
	if !strings.HasPrefix(a.ContentType, "image/") || strings.Contains(a.ContentType, "svg") {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(a.Path)}))
	}
	w.Write(a.Data)
}
