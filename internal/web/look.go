package web

import (
	"html/template"
	"io/fs"

	"mailer/internal/fault"
)

// look is one set of page templates and its stylesheet: the global one or
// a list's own (templates.Looks).
type look struct {
	pages map[string]*template.Template
	css   []byte
}

var pageNames = []string{"unsubscribe", "unsubscribed", "resubscribed", "confirm", "confirmed", "subscribe", "archive", "preferences"}

var messageNames = []string{"bad-token", "no-member", "confirm-invalid", "subscribe-sent", "subscribe-already", "subscribe-recent",
	"subscribe-closed", "subscribe-blocked", "cannot-send", "rate-limited", "form-expired", "not-found", "unavailable", "invalid", "conflict", "internal"}

// parseLook parses every page of a look, so a broken one is found before
// a visitor meets it.
func parseLook(fsys fs.FS) (*look, error) {
	lk := &look{pages: map[string]*template.Template{}}
	var err error
	if lk.css, err = fs.ReadFile(fsys, "web/site.css"); err != nil {
		return nil, fault.Wrap(fault.Internal, err, "template web/site.css")
	}
	for _, p := range pageNames {
		t, err := template.ParseFS(fsys, "web/layout.html", "web/"+p+".html")
		if err != nil {
			return nil, fault.Wrap(fault.Internal, err, "template web/%s.html", p)
		}
		lk.pages[p] = t
	}
	for _, m := range messageNames {
		t, err := template.ParseFS(fsys, "web/layout.html", "web/messages.html", "web/errors.html")
		if err == nil {
			_, err = t.New("content").Parse(`{{template "msg-` + m + `" .}}`)
		}
		if err != nil {
			return nil, fault.Wrap(fault.Internal, err, "template web/messages.html")
		}
		lk.pages["msg-"+m] = t
	}
	return lk, nil
}

// look returns the look of a list's own template directory; one that
// broke after it was checked is logged and the page shown in the global
// look, because an unsubscribe page must always answer.
func (s *Server) look(dir string) *look {
	lk, err := s.looks.For(dir)
	if err != nil {
		s.o.Logger.Error("list templates", "err", err)
	}
	return lk
}
