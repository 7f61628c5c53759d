package app

import (
	"time"

	"mailer/internal/delivery"
	"mailer/internal/dkimsign"
	"mailer/internal/sending"
)

// Daemon is the delivery daemon on this graph: its store, its bounce
// service's refusals, its clock and logger, and the configured relay (opened
// afresh for each send, so a fixed relay is picked up without a restart).
func (a *App) Daemon() *sending.Daemon {
	cfg := a.Config
	return &sending.Daemon{Config: cfg, DB: a.DB, Refusals: a.Bounces, Observer: a.Metrics, Breaker: a.BreakerHooks(), Now: a.Now, Log: a.Logger,
		WaitLimit: time.Minute, Transport: func() (delivery.Transport, *dkimsign.Signer, string, error) {
			t, signer, via, err := SendTransport(cfg)
			return a.Metrics.Transport(t), signer, via, err
		}}
}
