package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mailer/internal/bounces"
	"mailer/internal/fault"
	"mailer/internal/optin"
	"mailer/internal/store"
)

// pageSize is how many members a page of /lists/NAME/members shows.
const pageSize = 50

type membersData struct {
	List     *store.List
	Members  []*store.Member
	Statuses []store.Status
	Status   store.Status // the filter, "" for all
	Search   string
	Next     string // the next page's URL, "" on the last
	CanEdit  bool
	// The add form as it was sent, when it was refused.
	Address, Name string
	AskForce      bool // the address had left: the form offers force
}

// membersPage pages through a list's members by cursor (the subscriber id
// the page ended with), filtered by status and a piece of address or name.
func (s *Server) membersPage(w http.ResponseWriter, r *http.Request) {
	l, err := s.resolveList(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showMembers(w, r, l, http.StatusOK, view{}, membersData{})
}

func (s *Server) showMembers(w http.ResponseWriter, r *http.Request, l *store.List, status int, v view, d membersData) {
	q := r.URL.Query()
	st := store.Status("")
	if raw := q.Get("status"); raw != "" {
		var err error
		if st, err = store.ParseStatus(raw); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	search := strings.TrimSpace(q.Get("q"))
	ms, more, err := s.db.MemberPage(r.Context(), l, store.MemberQuery{Status: st, Search: search, After: after, Limit: pageSize})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.List, d.Members, d.Statuses, d.Status, d.Search = l, ms, store.Statuses, st, search
	d.CanEdit = principalOf(r).CanChange(l.Name) == nil
	if more {
		next := url.Values{"after": {strconv.FormatInt(ms[len(ms)-1].SubscriberID, 10)}}
		if st != "" {
			next.Set("status", string(st))
		}
		if search != "" {
			next.Set("q", search)
		}
		d.Next = "/lists/" + url.PathEscape(l.Name) + "/members?" + next.Encode()
	}
	v.Title, v.Page = l.Title+": members", d
	s.pageWith(w, r, status, "members", v)
}

type memberData struct {
	List    *store.List
	Member  *store.Member
	Audit   []store.AuditEntry
	CanEdit bool
	// Reactivatable: stopped by bounces or an owner, so reactivate applies.
	Reactivatable, Removable bool
}

// memberPage is one member with its audit trail.
func (s *Server) memberPage(w http.ResponseWriter, r *http.Request) {
	l, err := s.resolveList(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.db.GetMember(r.Context(), l, r.PathValue("address"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	audit, err := s.db.AuditLog(r.Context(), l, m.Address)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, "member", m.Address, memberData{List: l, Member: m, Audit: audit,
		CanEdit:       principalOf(r).CanChange(l.Name) == nil,
		Reactivatable: bounces.Reactivatable(m.Status), Removable: m.Status != store.Unsubscribed && m.Status != store.Complained})
}

// addMember is POST /lists/NAME/members: `subscribers add` for one
// address, under the same consent rule: someone who left or complained is
// added back only when the owner says they asked again (force).
func (s *Server) addMember(w http.ResponseWriter, r *http.Request) {
	l, err := s.changeList(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	addr, name := strings.TrimSpace(r.PostForm.Get("address")), strings.TrimSpace(r.PostForm.Get("name"))
	force := r.PostForm.Get("force") == "1"
	reason := "added by an owner in the console"
	changes, err := s.o.Owners.Add(r.Context(), l, []string{addr}, name, force, s.evidence(r, store.SourceAdmin, reason))
	if err == nil && len(changes) == 1 && changes[0].Err != nil {
		err = changes[0].Err
	}
	if err != nil {
		d := membersData{Address: addr, Name: name, AskForce: errors.Is(err, optin.ErrConsentWithdrawn)}
		status := http.StatusConflict
		if fault.CodeOf(err) == fault.Invalid {
			status = http.StatusBadRequest
		} else if c := fault.CodeOf(err); c != fault.Conflict && c != fault.NotFound {
			s.fail(w, r, err)
			return
		}
		s.showMembers(w, r, l, status, view{Error: fault.MessageOf(err)}, d)
		return
	}
	done := "added"
	if !changes[0].Changed {
		done = "already"
	}
	s.toMember(w, r, l, changes[0].Address, done)
}

// removeMember is `subscribers rm`: the membership stays, unsubscribed.
func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) {
	l, err := s.changeList(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if reason == "" {
		reason = "removed by an owner in the console"
	}
	changes, err := s.o.Owners.Remove(r.Context(), l, []string{r.PathValue("address")}, s.evidence(r, store.SourceAdmin, reason))
	if err == nil && len(changes) == 1 && changes[0].Err != nil {
		err = changes[0].Err
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.toMember(w, r, l, changes[0].Address, "removed")
}

// reactivateMember is `subscribers reactivate`: a bounced or disabled
// member gets mail again, their bounce score cleared.
func (s *Server) reactivateMember(w http.ResponseWriter, r *http.Request) {
	l, err := s.changeList(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := bounces.Reactivate(r.Context(), s.db, l, r.PathValue("address"), s.evidence(r, store.SourceAdmin, "reactivated in the console"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.toMember(w, r, l, m.Address, "reactivated")
}

// toMember sends the browser to the member's page after a change (POST,
// then redirect, then GET: a reload does not repeat the change).
func (s *Server) toMember(w http.ResponseWriter, r *http.Request, l *store.List, addr, done string) {
	http.Redirect(w, r, "/lists/"+url.PathEscape(l.Name)+"/members/"+url.PathEscape(addr)+"?done="+done, http.StatusSeeOther)
}
