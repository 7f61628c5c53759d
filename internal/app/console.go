package app

import (
	"net/http"
	"time"

	"mailer/internal/auth"
	"mailer/internal/console"
	"mailer/internal/delivery"
	"mailer/internal/dkimsign"
	"mailer/internal/optin"
)

// console builds the admin listener's console part on the logins of the
// store: the site owner is an admin, sessions end as [admin] says.
func (a *App) console() (http.Handler, error) {
	cfg := a.Config
	logins := auth.New(a.DB, auth.Options{Owner: string(cfg.Owner), Idle: time.Duration(cfg.Admin.SessionIdle),
		Max: time.Duration(cfg.Admin.SessionMax), Now: a.Now, Logger: a.Logger})
	c, err := a.Console(logins, auth.RetryAfter)
	if err != nil {
		return nil, err
	}
	return c.Handler(), nil
}

// Console is the owners' console on this graph: its store and
// configuration, the owners' side of optin for membership changes, the
// relay a scheduled send is planned for, and the logins auth proves
// (retryAfter says how long a throttled login waits).
func (a *App) Console(auth console.Auth, retryAfter func(error) time.Duration) (*console.Server, error) {
	cfg := a.Config
	return console.New(console.Options{Config: cfg, DB: a.DB, Auth: auth, Owners: optin.NewOwners(a.DB), RetryAfter: retryAfter,
		Transport: func() (delivery.Transport, *dkimsign.Signer, string, error) { return SendTransport(cfg) },
		Templates: a.Templates, TrustedProxies: cfg.Web.Proxies(), Now: a.Now, Logger: a.Logger})
}
