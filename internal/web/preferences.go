package web

import (
	"net/http"
	"slices"

	"mailer/internal/optin"
	"mailer/internal/store"
)

// standing is one list on the preference page.
type standing struct {
	List, Title, Words string
	Mailed             bool // there is something to leave
}

// statusWords say a member's status to the reader.
var statusWords = map[store.Status]string{
	store.Active:       "subscribed",
	store.Pending:      "waiting for your confirmation",
	store.Unsubscribed: "you left",
	store.Bounced:      "stopped: mail to this address bounced",
	store.Complained:   "stopped: you reported it as spam",
	store.Disabled:     "stopped by the list's owner",
}

// preferencesPage shows every list of this site the link's address is on
// (GET changes nothing: a link scanner may fetch it).
func (s *Server) preferencesPage(w http.ResponseWriter, r *http.Request) {
	s.showPreferences(w, r, nil)
}

// leaveLists leaves the checked lists, or every list, at once: the token
// proves the address as it does for the one-click unsubscribe.
func (s *Server) leaveLists(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.message(w, http.StatusBadRequest, "invalid", pageData{})
		return
	}
	all := r.PostForm.Get("all") == "1"
	left, err := s.subs.LeaveLists(r.Context(), optin.Link{Token: r.PathValue("token")}, r.PostForm["leave"], all,
		s.evidence(r, "preference page"))
	if !s.usable(w, r, err) {
		return
	}
	s.showPreferences(w, r, left)
}

func (s *Server) showPreferences(w http.ResponseWriter, r *http.Request, left []string) {
	p, err := s.subs.Preferences(r.Context(), optin.Link{Token: r.PathValue("token")})
	if !s.usable(w, r, err) {
		return
	}
	d := pageData{PageTitle: "Your subscriptions", Address: p.Address, Token: r.PathValue("token")}
	for _, m := range p.Lists {
		title := m.Title
		if title == "" {
			title = m.List
		}
		if slices.Contains(left, m.List) {
			d.Left = append(d.Left, title)
		}
		st := standing{List: m.List, Title: title, Words: statusWords[m.Status], Mailed: optin.Leaving(m.Status)}
		d.AnyMailed = d.AnyMailed || st.Mailed
		d.Standing = append(d.Standing, st)
	}
	s.render(w, http.StatusOK, "preferences", d)
}
