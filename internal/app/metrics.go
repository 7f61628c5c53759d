package app

import (
	"net/http"

	"mailer/internal/metrics"
)

// metricsHandler serves /metrics: this process's counters and the store's
// gauges (internal/metrics), to a scraper with a token of every list.
func (a *App) metricsHandler() http.Handler { return metrics.Guard(a.Auth, a.Metrics.Handler()) }
