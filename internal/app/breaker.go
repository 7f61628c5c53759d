package app

import "mailer/internal/sending"

// BreakerHooks are the circuit breaker's parts on this graph: the owners'
// notice through mailer's own mail. Complaints per send are not counted
// yet (nil): the store does not tie a complaint to a send.
func (a *App) BreakerHooks() sending.BreakerHooks {
	return sending.BreakerHooks{Notice: sending.NewBreakerNotice(a.Mail, string(a.Config.Owner), a.Templates)}
}
