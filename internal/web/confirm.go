package web

import (
	"net/http"
	"strings"

	"mailer/internal/fault"
	"mailer/internal/store"
)

// confirmPage asks before it acts: a GET must not confirm, as mail
// scanners open every link.
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request) {
	code := confirmCode(r)
	c, err := s.store.PeekConfirmation(r.Context(), code)
	if err != nil {
		s.confirmFailed(w, r, c, err)
		return
	}
	l, err := s.store.GetList(r.Context(), c.ListName)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "confirm", withList(l, pageData{Address: c.Address, Action: c.Action, Token: code}))
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	code := confirmCode(r)
	c, err := s.subs.Confirm(r.Context(), code, s.evidence(r, "confirmed on the web"))
	if err != nil {
		peek, _ := s.store.PeekConfirmation(r.Context(), code)
		s.confirmFailed(w, r, peek, err)
		return
	}
	l, err := s.store.GetList(r.Context(), c.ListName)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A second click on a used code whose change still holds shows the
	// same page: it is done.
	s.render(w, http.StatusOK, "confirmed", withList(l, pageData{Address: c.Address, Action: c.Action}))
}

// confirmFailed explains a bad, used or expired code, with a way to ask again.
func (s *Server) confirmFailed(w http.ResponseWriter, r *http.Request, c *store.Confirmation, err error) {
	if fault.CodeOf(err) != fault.Invalid && fault.CodeOf(err) != fault.Conflict {
		s.fail(w, r, err)
		return
	}
	d := pageData{Error: err.Error()}
	status := http.StatusNotFound
	if c != nil {
		d.List, status = c.ListName, http.StatusGone
		if l, err := s.store.GetList(r.Context(), c.ListName); err == nil {
			d = withList(l, d)
		}
	}
	s.message(w, status, "confirm-invalid", d)
}

// confirmCode is the code in the URL. Codes are lower-case base32; a
// link retyped or passed through something that upper-cases it still works,
// as the same code does by mail.
func confirmCode(r *http.Request) string { return strings.ToLower(r.PathValue("code")) }
