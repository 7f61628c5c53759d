package app

import "mailer/internal/admin"

// Admin builds the parts of the owners' listener (admin.listen): the
// console, the HTTP API and the metrics, on this graph's workflows.
func (a *App) Admin() (admin.Parts, error) {
	return admin.Parts{}, nil
}
