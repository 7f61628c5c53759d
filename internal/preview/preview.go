// Package preview serves one issue, rendered for one reader, to a browser:
// a page with the HTML version beside the plain-text version, each of them
// alone, the whole message, and the issue's own files from beside it. Every
// request renders the issue again, so an editor can change it and reload.
package preview

import (
	"context"
	"errors"
	"html/template"
	"net"
	"net/http"
	"time"

	"mailer/internal/fault"
	"mailer/internal/sending"
	"mailer/templates"
)

// Open reads the issue afresh and finds its list; release gives back what
// it opened (the database). It is called for every request.
type Open func(ctx context.Context) (job *sending.Job, release func(), err error)

// Server is the preview of one issue for one reader.
type Server struct {
	open Open
	to   string
	page *template.Template
}

// New renders the issue once for the reader to, so that a broken issue or
// config is reported at once rather than on the first page load.
func New(ctx context.Context, open Open, to string) (*Server, error) {
	s := &Server{open: open, to: to}
	if _, err := s.render(ctx); err != nil {
		return nil, err
	}
	page, err := template.ParseFS(templates.FS, "preview/preview.html")
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "preview template")
	}
	s.page = page
	return s, nil
}

// Serve serves the preview on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fault.Wrap(fault.Unavailable, err, "preview server")
	}
	return nil
}

// page is what the side-by-side page shows.
type page struct {
	Subject, From, To, List, Source, Text string
}

// rendered is one rendering of the issue for the reader.
type rendered struct {
	page page
	html string
	eml  []byte
}

func (s *Server) render(ctx context.Context) (*rendered, error) {
	job, release, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rd, err := job.Render()
	if err != nil {
		return nil, err
	}
	rcpt, _, err := job.RecipientFor(ctx, s.to)
	if err != nil {
		return nil, err
	}
	h, t := rd.Personal(rcpt)
	eml, err := rd.Message.Personalise(nil, rcpt)
	if err != nil {
		return nil, err
	}
	from := job.List.FromAddress
	if job.List.FromName != "" {
		from = job.List.FromName + " <" + from + ">"
	}
	// The issue's own files are published when it is sent; until then the
	// preview serves them from beside the issue.
	local := "/archive/" + job.List.Name + "/" + job.Issue.Slug + "/"
	return &rendered{
		page: page{Subject: rd.Subject, From: from, To: rcpt.Address, List: job.List.Name, Source: job.Issue.Source, Text: t},
		html: job.Renderer.ShowFrom(rd, h, local), eml: eml,
	}, nil
}
