package console

import (
	"html/template"
	"io/fs"
	"net/http"

	"mailer/internal/auth"
	"mailer/internal/fault"
	"mailer/internal/httperr"
)

// pages are the parsed page templates, each over the layout. They use no
// functions of their own, so that templates.Check parses an owner's
// reworded copies as it parses the others.
type pages map[string]*template.Template

var pageNames = []string{"login", "message", "lists", "list", "members", "member", "import", "sends", "send", "schedule", "hooks"}

func parsePages(fsys fs.FS, st statics) (pages, error) {
	out := pages{}
	for _, name := range pageNames {
		t, err := template.New(name).ParseFS(fsys, "console/layout.html", "console/parts.html", "console/"+name+".html")
		if err != nil {
			return nil, fault.Wrap(fault.Internal, err, "console templates")
		}
		out[name] = t
	}
	return out, nil
}

// view is what every page's template gets: the layout's parts and the
// page's own data.
type view struct {
	Title     string
	Principal *auth.Principal // nil on the login page
	CSRF      string          // the session's token, for every form
	CSS, JS   string
	Notice    string // what the last action did
	Error     string
	Page      any
}

func (s *Server) render(w http.ResponseWriter, status int, page string, v view) {
	v.CSS, v.JS = s.static.CSS, s.static.JS
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.pages[page].ExecuteTemplate(w, "layout", v); err != nil {
		s.o.Logger.Error("render console page", "page", page, "err", err)
	}
}

// page renders a page of a logged-in session.
func (s *Server) page(w http.ResponseWriter, r *http.Request, page, title string, data any) {
	s.pageWith(w, r, http.StatusOK, page, view{Title: title, Page: data})
}

func (s *Server) pageWith(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	if sess, ok := sessionOf(r); ok {
		p := sess.Principal
		v.Principal, v.CSRF = &p, sess.CSRF
	}
	if v.Notice == "" {
		v.Notice = notices[r.URL.Query().Get("done")]
	}
	s.render(w, status, page, v)
}

// notices say what the change before the redirect did (?done=KEY: a
// fixed wording, so a link cannot make the console say anything else).
var notices = map[string]string{
	"added":          "Added: an active member now.",
	"already":        "Already an active member; nothing changed.",
	"removed":        "Removed: unsubscribed, the membership kept for the record.",
	"reactivated":    "Reactivated: mail goes to this member again, bounce score cleared.",
	"paused":         "Paused: a run delivering it stops after the messages in flight.",
	"resumed":        "Resumed: mailer serve takes it up.",
	"cancelled":      "Cancelled: what was left is skipped.",
	"scheduled":      "Scheduled: mailer serve sends it at its time.",
	"unscheduled":    "The scheduled send is cancelled.",
	"ping-delivered": "Ping delivered: the receiver answered 2xx; the attempt is below.",
	"ping-failed":    "The ping did not reach: the attempt below says what the receiver answered, or why there was no answer.",
}

// message is a page that only says something (not found, refused).
func (s *Server) message(w http.ResponseWriter, r *http.Request, status int, title string, err error) {
	v := view{Title: title}
	if err != nil {
		v.Error = fault.MessageOf(err)
	}
	s.pageWith(w, r, status, "message", v)
}

// fail answers an error with the status of the one table (httperr); only
// what is ours to fix is logged.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := httperr.Status(err)
	if status >= 500 {
		s.o.Logger.Error("console page failed", "path", r.URL.Path, "err", err)
		err = fault.Errorf(fault.Internal, "something went wrong on our side; the log has the details")
	}
	if ra := httperr.RetryAfter(status); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	s.message(w, r, status, http.StatusText(status), err)
}
