package app

import "net/http"

// metricsHandler serves /metrics (being built: nil answers 404).
func (a *App) metricsHandler() http.Handler { return nil }
