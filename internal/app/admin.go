package app

import "mailer/internal/admin"

// Admin builds the parts of the owners' listener (admin.listen): the
// console, the HTTP API and the metrics, on this graph's workflows.
func (a *App) Admin() (admin.Parts, error) {
	console, err := a.console()
	if err != nil {
		return admin.Parts{}, err
	}
	api, err := a.api()
	if err != nil {
		return admin.Parts{}, err
	}
	return admin.Parts{Console: console, API: api, Metrics: a.metricsHandler()}, nil
}
