package app

import "net/http"

// metricsHandler serves /metrics: this process's counters and the store's
// gauges (internal/metrics).
func (a *App) metricsHandler() http.Handler { return a.Metrics.Handler() }
