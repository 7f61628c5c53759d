package web

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"mailer/internal/fault"
	"mailer/internal/optin"
	"mailer/internal/store"
)

// member resolves an unsubscribe token to its list and member (the opt-in
// workflow's call), showing the right page itself when it cannot.
func (s *Server) member(w http.ResponseWriter, r *http.Request) (*store.List, *store.Member, bool) {
	l, m, err := s.subs.Holder(r.Context(), optin.Link{Token: r.PathValue("token")})
	if !s.usable(w, r, err) {
		return nil, nil, false
	}
	return l, m, true
}

// usable says whether the workflow could use the token, and when it could
// not shows the page that says why: a refusal, or a failure.
func (s *Server) usable(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, optin.BadToken):
		s.message(w, http.StatusBadRequest, "bad-token", pageData{})
	case errors.Is(err, optin.NoMember):
		s.message(w, http.StatusNotFound, "no-member", pageData{})
	default:
		s.fail(w, r, err)
	}
	return false
}

func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	l, m, ok := s.member(w, r)
	if !ok {
		return
	}
	d := withList(l, pageData{Address: m.Address, Token: r.PathValue("token")})
	if m.Status == store.Unsubscribed {
		s.render(w, http.StatusOK, "unsubscribed", d)
		return
	}
	s.render(w, http.StatusOK, "unsubscribe", d)
}

// unsubscribe acts at once. A POST whose body is List-Unsubscribe=One-Click
// comes from a mail client's button (RFC 8058) and gets 200 and no page.
// A move the store refuses (a Conflict) leaves the member as it is, and
// the page says unsubscribed all the same.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	oneClick := isOneClick(r)
	reason := "unsubscribe page"
	if oneClick {
		reason = "one-click unsubscribe (RFC 8058)"
	}
	left, err := s.subs.Leave(r.Context(), optin.Link{Token: r.PathValue("token")}, s.evidence(r, reason))
	if fault.CodeOf(err) == fault.Conflict && left.Member != nil {
		err = nil
	}
	if !s.usable(w, r, err) {
		return
	}
	if oneClick {
		w.WriteHeader(http.StatusOK)
		return
	}
	s.render(w, http.StatusOK, "unsubscribed", withList(left.List, pageData{Address: left.Member.Address, Token: r.PathValue("token")}))
}

func isOneClick(r *http.Request) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err != nil {
		return false
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		// Some clients send the RFC 8058 field as multipart.
		return strings.Contains(string(body), "List-Unsubscribe") && strings.Contains(string(body), "One-Click")
	}
	return strings.TrimSpace(string(body)) == "List-Unsubscribe=One-Click"
}

// resubscribe undoes an unsubscribe made with the same token. The token
// proves the address, so it may hear the truth; whether it is active again
// at once or must confirm is the opt-in workflow's call.
func (s *Server) resubscribe(w http.ResponseWriter, r *http.Request) {
	l, m, ok := s.member(w, r)
	if !ok {
		return
	}
	ev := s.evidence(r, "subscribed again on the unsubscribe page")
	out, err := s.subs.Resubscribe(r.Context(), l, m, optin.Request{Requester: "the unsubscribe page (IP address " + ev.IP + ")",
		Evidence: ev, Budget: store.BudgetWeb})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := withList(l, pageData{Address: m.Address})
	if out.Kind == optin.SubscribedNow || out.Kind == optin.AlreadySubscribed {
		s.render(w, http.StatusOK, "resubscribed", d)
		return
	}
	s.outcome(w, out, d)
}

// evidence records the web request for the audit log.
func (s *Server) evidence(r *http.Request, reason string) store.Evidence {
	ua := r.UserAgent()
	if len(ua) > 300 {
		ua = ua[:300]
	}
	return store.Evidence{Source: store.SourceWeb, IP: s.clientIP(r), UserAgent: ua, Reason: reason}
}
