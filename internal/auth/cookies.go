package auth

import (
	"crypto/subtle"
	"net/http"
	"time"

	"mailer/internal/fault"
)

// CheckCSRF is nil when token is the session's CSRF token, compared in
// constant time; a Forbidden fault otherwise. SameSite=Strict already
// keeps other sites' forms from carrying the cookie; the token covers
// browsers that ignore it (OWASP CSRF Prevention Cheat Sheet,
// "synchronizer token").
func (s *Service) CheckCSRF(ss Session, token string) error {
	if ss.CSRF == "" || subtle.ConstantTimeCompare([]byte(ss.CSRF), []byte(token)) != 1 {
		return fault.Errorf(fault.Forbidden, "the form's security token does not match this session: reload the page and try again")
	}
	return nil
}

// CookieFor is the session's cookie (RFC 6265 §4.1.2): HttpOnly, so no
// script reads it; SameSite=Strict, so no other site's request carries
// it; Secure when the console is reached over https; until the session's
// absolute end.
func (s *Service) CookieFor(ss Session, secure bool) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: ss.ID, Path: "/", Expires: ss.Expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure}
}

// ClearCookie tells the browser to forget the session's cookie.
func (s *Service) ClearCookie(secure bool) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure}
}
