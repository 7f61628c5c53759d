package app

import "net/http"

// api builds the admin listener's api part (being built: nil answers 404).
func (a *App) api() (http.Handler, error) { return nil, nil }
