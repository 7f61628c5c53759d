package console

import (
	"errors"
	"net/http"
	"strings"

	"mailer/internal/fault"
	"mailer/internal/httperr"
	"mailer/internal/importing"
	"mailer/internal/store"
)

type importData struct {
	List     *store.List
	Statuses []store.Status
	Report   *importing.Report // nil before an upload
	Bad      bool              // the file was refused for its bad lines
	Good     int               // how many members the good lines hold
	DryRun   bool
}

// importPage is the upload form.
func (s *Server) importPage(w http.ResponseWriter, r *http.Request) {
	l, err := s.changeList(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, "import", l.Title+": import", importData{List: l, Statuses: importStatuses})
}

// importStatuses are those --status takes (a file of people not mailed).
var importStatuses = []store.Status{store.Unsubscribed, store.Bounced, store.Complained, store.Disabled, store.Pending}

// importFile is `subscribers import` for an uploaded file: the same
// reading, the same all-or-nothing apply, the same report.
func (s *Server) importFile(w http.ResponseWriter, r *http.Request) {
	l, err := s.changeList(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := importData{List: l, Statuses: importStatuses, DryRun: r.PostFormValue("dry_run") == "1"}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.importAnswer(w, r, d, fault.Errorf(fault.Invalid, "choose a file to import"))
		return
	}
	defer f.Close()
	var status store.Status
	if raw := r.PostFormValue("status"); raw != "" {
		if status, err = store.ParseStatus(raw); err != nil {
			s.importAnswer(w, r, d, err)
			return
		}
	}
	name := hdr.Filename
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:] // some browsers send the whole path
	}
	plan, err := importing.Read(f, importing.Options{Name: name, SkipInvalid: r.PostFormValue("skip_invalid") == "1",
		DryRun: d.DryRun, Status: status, Evidence: s.evidence(r, store.SourceImport, "")})
	var bad *importing.BadLinesError
	if errors.As(err, &bad) {
		d.Report, d.Bad, d.Good = &bad.Report, true, bad.Good
		s.importAnswer(w, r, d, err)
		return
	}
	if err != nil {
		s.importAnswer(w, r, d, err)
		return
	}
	rep, err := plan.Apply(r.Context(), s.db, l)
	if err != nil {
		s.importAnswer(w, r, d, err)
		return
	}
	d.Report = &rep
	s.importAnswer(w, r, d, nil)
}

func (s *Server) importAnswer(w http.ResponseWriter, r *http.Request, d importData, err error) {
	v := view{Title: d.List.Title + ": import", Page: d}
	status := http.StatusOK
	if err != nil {
		if status = httperr.Status(err); status >= 500 {
			s.fail(w, r, err)
			return
		}
		v.Error = fault.MessageOf(err)
	}
	s.pageWith(w, r, status, "import", v)
}
