package web

import (
	"io"
	"net/http"
	"strings"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/optin"
	"mailer/internal/store"
)

// member resolves an unsubscribe token to its list and member, showing the
// right page itself when it cannot.
func (s *Server) member(w http.ResponseWriter, r *http.Request) (*store.List, *store.Member, bool) {
	m, err := s.tokens.Verify(r.PathValue("token"))
	if err != nil {
		s.message(w, http.StatusBadRequest, "bad-token", pageData{})
		return nil, nil, false
	}
	l, member, err := s.store.MemberByID(r.Context(), m.ListID, m.SubscriberID)
	if fault.CodeOf(err) == fault.NotFound {
		s.message(w, http.StatusNotFound, "no-member", pageData{})
		return nil, nil, false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	return l, member, true
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
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	l, m, ok := s.member(w, r)
	if !ok {
		return
	}
	oneClick := isOneClick(r)
	if m.Status != store.Unsubscribed {
		a, err := address.Parse(m.Address)
		if err == nil {
			reason := "unsubscribe page"
			if oneClick {
				reason = "one-click unsubscribe (RFC 8058)"
			}
			_, err = s.store.SetStatus(r.Context(), l, a, store.Unsubscribed, s.evidence(r, reason))
		}
		if err != nil && fault.CodeOf(err) != fault.Conflict {
			s.fail(w, r, err)
			return
		}
	}
	if oneClick {
		w.WriteHeader(http.StatusOK)
		return
	}
	s.render(w, http.StatusOK, "unsubscribed", withList(l, pageData{Address: m.Address, Token: r.PathValue("token")}))
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
