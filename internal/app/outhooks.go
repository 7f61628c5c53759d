package app

import "mailer/internal/outhooks"

// Outhooks is the event webhooks' dispatcher on this graph: the queue the
// store's triggers fill, the graph's clock and logger.
func (a *App) Outhooks() *outhooks.Dispatcher {
	return &outhooks.Dispatcher{Store: a.DB, Now: a.Now, Log: a.Logger}
}
