package app

import "mailer/internal/sending"

// BreakerHooks are the circuit breaker's parts on this graph: the owners'
// notice through mailer's own mail, and the spam complaints and hard bounce
// reports the store has tied to the send (from the report's Message-ID or
// Feedback-ID).
func (a *App) BreakerHooks() sending.BreakerHooks {
	return sending.BreakerHooks{Notice: sending.NewBreakerNotice(a.Mail, string(a.Config.Owner), a.Templates),
		Complaints: a.DB.SendComplaints, Bounces: a.DB.SendHardBounces}
}
