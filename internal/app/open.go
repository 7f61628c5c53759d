package app

import (
	"context"
	"time"

	"mailer/internal/config"
	"mailer/internal/store"
	"mailer/internal/web"
)

// OpenStore opens the configured database, on now's clock when now is set.
func OpenStore(ctx context.Context, cfg *config.Config, now func() time.Time) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabasePath(), store.Options{BusyTimeout: time.Duration(cfg.BusyTimeout)})
	if err != nil {
		return nil, err
	}
	if now != nil {
		db.Now = now
	}
	return db, nil
}

// Open opens the configured database and builds the graph on it; Close
// closes the database.
func Open(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	db, err := OpenStore(ctx, cfg, o.Now)
	if err != nil {
		return nil, err
	}
	a, err := Build(cfg, db, o)
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }

// Web builds the public pages: unsubscribe, confirmation, the subscribe
// form and the archive.
func (a *App) Web() (*web.Server, error) {
	cfg := a.Config
	return web.New(a.DB, a.Optin, web.Options{Book: a.Book, Contact: cfg.Contact, Looks: cfg.Looks(),
		TrustedProxies: cfg.Web.Proxies(), SubscribePerMinute: cfg.Web.SubscribePerMinute, Logger: a.Logger})
}
