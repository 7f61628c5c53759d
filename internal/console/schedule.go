package console

import (
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"mailer/internal/fault"
	"mailer/internal/httperr"
	"mailer/internal/render"
	"mailer/internal/sending"
	"mailer/internal/store"
)

// previewRecipient fills a preview's slots: no real member's token.
var previewRecipient = render.Recipient{Address: "reader@example.org", Name: "A Reader", Token: "preview"}

type scheduleData struct {
	Issues  []string
	Issue   string
	At      string
	List    string // the issue's list
	Subject string
	Text    string // the text version, side by side with the form
	HTMLURL string // the HTML version, on a page of its own
	Replace bool   // the form's replace box, kept when the form comes back
}

// issueNames are the issues in issues_dir, by name without ".md". Only
// these are taken from a form: issue.Resolve would also take a path.
func (s *Server) issueNames() ([]string, error) {
	dir := s.o.Config.Resolve(s.o.Config.IssuesDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fault.Wrap(fault.Unavailable, err, "read the issues directory")
	}
	var out []string
	for _, e := range ents {
		if name, ok := strings.CutSuffix(e.Name(), ".md"); ok && e.Type().IsRegular() && !strings.HasPrefix(name, ".") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// openIssue opens a job for an issue of the directory, on a list the
// principal may change.
func (s *Server) openIssue(r *http.Request, name string) (*sending.Job, error) {
	names, err := s.issueNames()
	if err != nil {
		return nil, err
	}
	if !slices.Contains(names, name) {
		return nil, fault.Errorf(fault.NotFound, "no issue %q in the issues directory", name)
	}
	job, err := sending.Open(r.Context(), s.o.Config, s.db, name, "", s.o.Now)
	if err != nil {
		return nil, err
	}
	if !principalOf(r).CanSee(job.List.Name) {
		return nil, fault.Errorf(fault.NotFound, "no issue %q in the issues directory", name)
	}
	return job, principalOf(r).CanChange(job.List.Name)
}

// schedulePage is the form; with ?issue=NAME it shows that issue beside it.
func (s *Server) schedulePage(w http.ResponseWriter, r *http.Request) {
	d, err := s.scheduleForm(r, r.URL.Query().Get("issue"), r.URL.Query().Get("at"))
	s.scheduleAnswer(w, r, d, err)
}

func (s *Server) scheduleForm(r *http.Request, name, at string) (scheduleData, error) {
	names, err := s.issueNames()
	d := scheduleData{Issues: names, Issue: name, At: at}
	if err != nil || name == "" {
		return d, err
	}
	job, err := s.openIssue(r, name)
	if err != nil {
		return d, err
	}
	rd, err := job.Render()
	if err != nil {
		return d, err
	}
	_, text := rd.Personal(previewRecipient)
	d.List, d.Subject, d.Text, d.HTMLURL = job.List.Name, rd.Subject, text, "/schedule/preview/"+url.PathEscape(name)
	return d, nil
}

// schedule is `mailer send ISSUE --at TIME`: the same plan (a draft is
// refused, the issue's hash kept so an edit before its time is refused)
// and the same schedule. An issue already scheduled to its list is refused
// with both times on the form (a 409) unless the replace box is ticked,
// as `--replace`.
func (s *Server) schedule(w http.ResponseWriter, r *http.Request) {
	name, at := r.PostForm.Get("issue"), strings.TrimSpace(r.PostForm.Get("at"))
	d, err := s.scheduleForm(r, name, at)
	d.Replace = r.PostForm.Get("replace") != ""
	if err != nil {
		s.scheduleAnswer(w, r, d, err)
		return
	}
	due, err := time.ParseInLocation("2006-01-02T15:04", at, time.UTC)
	if err != nil {
		s.scheduleAnswer(w, r, d, fault.Errorf(fault.Invalid, "give the time as 2026-12-07T09:00 (UTC)"))
		return
	}
	job, err := s.openIssue(r, name)
	var sc *store.Schedule
	if err == nil {
		var p *sending.Plan
		if p, err = job.Prepare(r.Context(), sending.PlanOptions{Rate: -1, Replace: d.Replace}, false, s.o.Transport); err == nil {
			sc, err = p.Schedule(r.Context(), due, s.evidence(r, store.SourceAdmin, ""))
		}
	}
	if err != nil {
		s.scheduleAnswer(w, r, d, err)
		return
	}
	s.o.Logger.Info("console: send scheduled", "issue", name, "list", job.List.Name, "due", due, "operator", principalOf(r).Operator())
	done := "scheduled"
	if sc.Replaced != nil {
		done = "rescheduled"
	}
	http.Redirect(w, r, "/sends?done="+done, http.StatusSeeOther)
}

func (s *Server) scheduleAnswer(w http.ResponseWriter, r *http.Request, d scheduleData, err error) {
	v := view{Title: "Schedule a send", Page: d}
	status := http.StatusOK
	if err != nil {
		status = httperr.Status(err)
		if status >= 500 {
			s.fail(w, r, err)
			return
		}
		v.Error = fault.MessageOf(err)
	}
	s.pageWith(w, r, status, "schedule", v)
}

// previewPolicy lets the issue's own HTML show as a mail client would
// (its inline styles, images from anywhere over https) and nothing more:
// sandbox (CSP Level 2 §7.14) runs no script and gives the page an opaque
// origin, so the issue's markup cannot act as the console.
const previewPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'none'"

// previewHTML is the issue's HTML version, as its readers will see it.
func (s *Server) previewHTML(w http.ResponseWriter, r *http.Request) {
	job, err := s.openIssue(r, r.PathValue("issue"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rd, err := job.Render()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Security-Policy", previewPolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	html, _ := rd.Personal(previewRecipient)
	w.Write([]byte(html))
}
