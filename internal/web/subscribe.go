package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"

	"mailer/internal/address"
	"mailer/internal/listaddr"
	"mailer/internal/optin"
	"mailer/internal/store"
)

const csrfCookie = "mailer_csrf"

func (s *Server) listFor(w http.ResponseWriter, r *http.Request) (*store.List, bool) {
	l, err := s.store.GetList(r.Context(), r.PathValue("list"))
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return l, true
}

// subscribePage shows the form with a fresh CSRF value, also set as a
// SameSite=Strict cookie: another site can make a browser post the form,
// but cannot read or set the cookie to match.
func (s *Server) subscribePage(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r)
	if !ok {
		return
	}
	s.form(w, http.StatusOK, l, "", "")
}

func (s *Server) form(w http.ResponseWriter, status int, l *store.List, addr, problem string) {
	b := make([]byte, 16)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: listaddr.SubscribePath, HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteStrictMode, MaxAge: 7200})
	s.render(w, status, "subscribe", withList(l, pageData{Description: l.Description, CSRF: tok, Address: addr, Error: problem}))
}

func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r)
	if !ok {
		return
	}
	if !s.limits.allow(s.clientIP(r)) {
		w.Header().Set("Retry-After", "60")
		s.message(w, http.StatusTooManyRequests, "rate-limited", withList(l, pageData{}))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8192)
	if err := r.ParseForm(); err != nil {
		s.message(w, http.StatusBadRequest, "form-expired", withList(l, pageData{}))
		return
	}
	cookie, err := r.Cookie(csrfCookie)
	if err != nil || cookie.Value == "" || subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.message(w, http.StatusForbidden, "form-expired", withList(l, pageData{}))
		return
	}
	d := withList(l, pageData{Address: r.PostFormValue("email")})
	// A bot fills in every field; a person never sees this one. Answer as
	// if all went well, so the bot learns nothing.
	if r.PostFormValue("website") != "" {
		s.o.Logger.Info("subscribe form: honeypot filled", "ip", s.clientIP(r))
		s.message(w, http.StatusOK, "subscribe-sent", d)
		return
	}
	a, err := address.Parse(r.PostFormValue("email"))
	if err != nil {
		s.form(w, http.StatusUnprocessableEntity, l, d.Address, err.Error())
		return
	}
	d.Address = a.String()
	ev := s.evidence(r, "subscribe form")
	req := optin.Request{Requester: "the subscribe form on the web (IP address " + ev.IP + ")", Evidence: ev, Budget: store.BudgetWeb}
	// The same work for every address: Admit reads nothing about it, and
	// the rest goes to the queue (see handoff).
	out, err := s.subs.Admit(r.Context(), l, a, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if out.Kind == "" && !s.queue.add(func(ctx context.Context) { s.subscribeLater(ctx, l, a, req) }) {
		out = optin.Outcome{Kind: optin.CannotSend, Detail: "too many requests are waiting; please try again in a minute"}
	}
	s.outcome(w, out, d)
}

// subscribeLater is a form's request, after its page was answered. What
// goes wrong is logged: the visitor was told to check their mailbox, and
// may ask again.
func (s *Server) subscribeLater(ctx context.Context, l *store.List, a address.Address, req optin.Request) {
	out, err := s.subs.Subscribe(ctx, l, a, req)
	if err != nil || out.Kind == optin.CannotSend {
		s.o.Logger.Warn("subscribe form: request not done", "list", l.Name, "outcome", out.Kind, "detail", out.Detail, "err", err)
	}
}

// outcome shows what a subscription request did. Anyone can type any
// address into the form, so the page never tells that address's state:
// the request is never Self, and the truth goes by mail to the address.
func (s *Server) outcome(w http.ResponseWriter, out optin.Outcome, d pageData) {
	switch out.Kind {
	case optin.ListClosed:
		s.message(w, http.StatusForbidden, "subscribe-closed", d)
	case optin.CannotSend:
		w.Header().Set("Retry-After", "3600")
		d.Error = out.Detail
		s.message(w, http.StatusServiceUnavailable, "cannot-send", d)
	case optin.AlreadySubscribed:
		s.message(w, http.StatusOK, "subscribe-already", d)
	case optin.ConfirmationRecent:
		d.Time = out.Last.UTC().Format("15:04 UTC")
		s.message(w, http.StatusOK, "subscribe-recent", d)
	case optin.Blocked:
		d.Error = out.Detail
		s.message(w, http.StatusConflict, "subscribe-blocked", d)
	default:
		s.message(w, http.StatusOK, "subscribe-sent", d)
	}
}
