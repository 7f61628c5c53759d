package app

import "net/http"

// console builds the admin listener's console part (being built: nil answers 404).
func (a *App) console() (http.Handler, error) { return nil, nil }
