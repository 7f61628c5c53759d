package app

import (
	"net/http"

	"mailer/internal/api"
	"mailer/internal/delivery"
	"mailer/internal/dkimsign"
)

// api builds the admin listener's /api/v1 on the graph's tokens
// (`mailer tokens create`, proved by App.Auth).
func (a *App) api() (http.Handler, error) { return a.API(a.Auth) }

// API is /api/v1 on this graph: its store and configuration, the relay a
// planned send goes by, and the bearer tokens tokens proves.
func (a *App) API(tokens api.Authenticator) (*api.Handler, error) {
	cfg := a.Config
	return api.New(api.Options{Auth: tokens, DB: a.DB, Config: cfg, Logger: a.Logger, Now: a.Now,
		Transports: func() (delivery.Transport, *dkimsign.Signer, string, error) { return SendTransport(cfg) }})
}
