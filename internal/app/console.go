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

// console builds the admin listener's console part on the graph's logins
// (App.Auth, the same the owners and tokens commands keep).
func (a *App) console() (http.Handler, error) {
	c, err := a.Console(a.Auth, auth.RetryAfter)
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
		Hooks:     a.Outhooks(), Templates: a.Templates, TrustedProxies: cfg.Web.Proxies(), Now: a.Now, Logger: a.Logger})
}
