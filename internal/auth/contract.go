package auth

// The Service (service.go) is what the console and the API call; each
// declares the part it uses as its own interface. Its methods:
//
//	Login(ctx, email, password, client string) (Session, error)
//	    fault.Unauthenticated for a wrong address or password (one message
//	    for both); fault.Unavailable with RetryAfter(err) > 0 while failed
//	    logins for that address or that client are being slowed down.
//	Session(ctx, id string) (Session, error)
//	    the live session with that id, its idle time renewed;
//	    fault.Unauthenticated when unknown, expired or idle too long.
//	Logout(ctx, id string) error
//	CheckCSRF(s Session, token string) error      // fault.Forbidden
//	Bearer(ctx, secret string) (Principal, error) // fault.Unauthenticated
//	CookieFor(s Session, secure bool) *http.Cookie
//	ClearCookie(secure bool) *http.Cookie
