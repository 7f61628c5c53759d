// Package auth proves who is asking the owners' listener: console logins
// (passwords hashed with argon2id, sessions in HttpOnly SameSite=Strict
// cookies with a CSRF token bound to each) and the API's bearer tokens
// (stored hashed, scoped read or write, to one list or all). The console and
// the API only ask it for a Principal and ask the Principal what it may do.
package auth

import (
	"slices"
	"time"

	"mailer/internal/fault"
)

// Principal is who an admin request acts for.
type Principal struct {
	// Name is the owner's address (a console login) or the token's name.
	Name string
	// Admin is a site admin: sees and changes every list. A token made
	// without --list is one too, for the lists; only a person (Token == "")
	// manages owners and tokens.
	Admin bool
	// Write is false for a read-scoped token: it may look, never change.
	Write bool
	// Lists are the lists a non-admin may see and change: those the owner
	// owns, or the one a token was made for.
	Lists []string
	// Token is the token's name when the request came with a bearer token,
	// "" for a console session.
	Token string
}

// CanSee reports whether p may read list.
func (p Principal) CanSee(list string) bool {
	return p.Admin || slices.Contains(p.Lists, list)
}

// CanChange is nil when p may change list; otherwise a Forbidden fault that
// says why (a read-only token, a list p does not own).
func (p Principal) CanChange(list string) error {
	if !p.Write {
		return fault.Errorf(fault.Forbidden, "token %s is read-only", p.Token)
	}
	if !p.CanSee(list) {
		return fault.Errorf(fault.Forbidden, "%s may not change list %s", p.Name, list)
	}
	return nil
}

// Operator names p in the audit log: "console:ADDRESS" or "api:token NAME".
func (p Principal) Operator() string {
	if p.Token != "" {
		return "api:token " + p.Token
	}
	return "console:" + p.Name
}

// Session is a console login: its id travels in the cookie, its CSRF token
// in every form, and it ends at the first of Expires (admin.session_max
// after login) and IdleExpires (admin.session_idle after the last request).
type Session struct {
	ID          string
	CSRF        string
	Principal   Principal
	Expires     time.Time
	IdleExpires time.Time
}

// CookieName is the console's session cookie.
const CookieName = "mailer_session"
