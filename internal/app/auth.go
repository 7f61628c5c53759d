package app

import (
	"time"

	"mailer/internal/auth"
)

// auth builds the logins and tokens of the owners' listener: the site
// owner is an admin, sessions end as [admin] says.
func (a *App) auth() *auth.Service {
	cfg := a.Config
	return auth.New(a.DB, auth.Options{Owner: string(cfg.Owner), Idle: time.Duration(cfg.Admin.SessionIdle),
		Max: time.Duration(cfg.Admin.SessionMax), Now: a.Now, Logger: a.Logger})
}
