package console

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mailer/internal/auth"
	"mailer/internal/clientip"
	"mailer/internal/fault"
	"mailer/internal/httperr"
	"mailer/internal/store"
)

type ctxKey struct{}

// sessionOf is the request's session, put there by get or post.
func sessionOf(r *http.Request) (auth.Session, bool) {
	s, ok := r.Context().Value(ctxKey{}).(auth.Session)
	return s, ok
}

func principalOf(r *http.Request) auth.Principal {
	s, _ := sessionOf(r)
	return s.Principal
}

// session finds the request's live session; ok false when there is none.
func (s *Server) session(r *http.Request) (auth.Session, bool, error) {
	c, err := r.Cookie(auth.CookieName)
	if err != nil || c.Value == "" {
		return auth.Session{}, false, nil
	}
	sess, err := s.o.Auth.Session(r.Context(), c.Value)
	if fault.CodeOf(err) == fault.Unauthenticated {
		return auth.Session{}, false, nil
	}
	return sess, err == nil, err
}

// get serves a page to a logged-in session; without one it sends the
// browser to the login page, which brings it back here afterwards (RFC 9110
// §15.4.4: 303 makes the next request a GET).
func (s *Server) get(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok, err := s.session(r)
		switch {
		case err != nil:
			s.fail(w, r, err)
		case !ok:
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		default:
			h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
		}
	})
}

// post runs a change for a logged-in session whose form carries its CSRF
// token; anything else is refused before the handler runs, so nothing
// changes: 401 without a session (a POST is not redirected: its form would
// be lost), 403 without the right token.
func (s *Server) post(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok, err := s.session(r)
		switch {
		case err != nil:
			s.fail(w, r, err)
			return
		case !ok:
			s.message(w, r, http.StatusUnauthorized, "Please log in again", fault.Errorf(fault.Unauthenticated, "your session has ended: log in again"))
			return
		}
		token, err := formToken(w, r)
		if err != nil {
			s.message(w, r, http.StatusBadRequest, "Bad request", err)
			return
		}
		ctx := context.WithValue(r.Context(), ctxKey{}, sess)
		if err := s.o.Auth.CheckCSRF(sess, token); err != nil {
			s.message(w, r.WithContext(ctx), http.StatusForbidden, "Refused", fault.Errorf(fault.Forbidden, "this form is out of date or did not come from the console: reload the page and try again"))
			return
		}
		h(w, r.WithContext(ctx))
	})
}

// maxUpload is the largest form, a member file's upload included.
const maxUpload = 32 << 20

// formToken reads the form (a multipart one too: the import's upload) and
// returns its CSRF token.
func formToken(w http.ResponseWriter, r *http.Request) (string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(8 << 20) // past 8 MiB the file waits on disk
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return "", fault.Errorf(fault.Invalid, "the form could not be read (a file is at most %d MiB)", maxUpload>>20)
	}
	return r.PostFormValue("csrf"), nil
}

type loginData struct{ Email, Next string }

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if _, ok, _ := s.session(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, http.StatusOK, "login", view{Title: "Log in", Page: loginData{Next: next}})
}

// login checks the password; a wrong address and a wrong password get the
// same message, so the page tells nobody who has an account.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r) {
		s.render(w, http.StatusForbidden, "login", view{Title: "Log in", Error: "This login form did not come from the console."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.render(w, http.StatusBadRequest, "login", view{Title: "Log in", Error: "The form could not be read."})
		return
	}
	email, next := strings.TrimSpace(r.PostForm.Get("email")), localPath(r.PostForm.Get("next"))
	sess, err := s.o.Auth.Login(r.Context(), email, r.PostForm.Get("password"), s.clientIP(r))
	d := view{Title: "Log in", Page: loginData{Email: email, Next: next}}
	switch fault.CodeOf(err) {
	case "":
		http.SetCookie(w, s.o.Auth.CookieFor(sess, s.secure))
		http.Redirect(w, r, next, http.StatusSeeOther)
	case fault.Unauthenticated:
		d.Error = "That address and password do not match an owner's login."
		s.render(w, http.StatusUnauthorized, "login", d)
	case fault.Unavailable:
		wait := s.retryAfter(err)
		w.Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
		d.Error = fmt.Sprintf("Too many failed logins: try again in %d minute(s).", max(int(math.Ceil(wait.Minutes())), 1))
		s.render(w, httperr.Status(err), "login", d) // 503, as every edge answers a throttle
	default:
		s.o.Logger.Error("console login failed", "err", err)
		d.Error = "Logging in failed on our side; try again later."
		s.render(w, http.StatusInternalServerError, "login", d)
	}
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionOf(r)
	if err := s.o.Auth.Logout(r.Context(), sess.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, s.o.Auth.ClearCookie(s.secure))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// sameOrigin refuses a login posted from another site's page (login CSRF:
// logging a victim in as the attacker). Browsers send Origin with every
// POST (RFC 6454 §7.3, Fetch); a request without one is not a browser's
// cross-site form. The console's own origin is the request's host, or
// base_url's behind a proxy that does not pass the Host on.
func (s *Server) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	base, err := url.Parse(string(s.o.Config.BaseURL))
	return u.Host == r.Host || err == nil && base.Host != "" && u.Host == base.Host
}

// localPath keeps next on this site: a path, never "//host" or a scheme
// (an open redirect would let a link log someone in and send them away).
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

// retryAfter is how long a throttled login waits; a minute when the
// service does not say.
func (s *Server) retryAfter(err error) time.Duration {
	if s.o.RetryAfter != nil {
		if d := s.o.RetryAfter(err); d > 0 {
			return d
		}
	}
	return time.Minute
}

// clientIP is the visitor's address (internal/clientip: behind a trusted
// proxy, the hop before it).
func (s *Server) clientIP(r *http.Request) string { return clientip.Of(r, s.o.TrustedProxies) }

// evidence is the audit record of a console change: who (the principal's
// operator name), from where, and why.
func (s *Server) evidence(r *http.Request, source store.Source, reason string) store.Evidence {
	return store.Evidence{Source: source, Operator: principalOf(r).Operator(), Reason: reason, IP: s.clientIP(r), UserAgent: r.UserAgent()}
}
