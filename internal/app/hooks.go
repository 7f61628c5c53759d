package app

import (
	"context"

	"mailer/internal/esphooks"
	"mailer/internal/fault"
)

// Hooks builds the relays' webhooks that [webhooks] turns on, handing
// their events to sink (nil: HookSink). A provider left out of the config
// is not mounted: /hooks/NAME answers 404.
func (a *App) Hooks(sink esphooks.Sink) (*esphooks.Handler, error) {
	w := a.Config.Webhooks
	if sink == nil {
		sink = a.HookSink()
	}
	var ps []esphooks.Provider
	if len(w.SESTopicARNs) > 0 {
		ps = append(ps, esphooks.NewSES(esphooks.SESOptions{Topics: w.SESTopicARNs, Now: a.Now, Logger: a.Logger}))
	}
	if w.PostmarkUsername != "" {
		ps = append(ps, esphooks.NewPostmark(w.PostmarkUsername, w.PostmarkPassword))
	}
	if w.SendGridPublicKey != "" {
		key, err := w.SendGridKey()
		if err != nil {
			return nil, fault.Wrap(fault.Invalid, err, "webhooks.sendgrid_public_key")
		}
		ps = append(ps, esphooks.NewSendGrid(key, a.Now))
	}
	if w.MailgunSigningKey != "" {
		ps = append(ps, esphooks.NewMailgun(w.MailgunSigningKey, a.Now))
	}
	return esphooks.NewHandler(sink, a.Logger, ps...), nil
}

// HookSink is where the webhooks' events go. Until it is wired to the
// bounce service (bounces, complaints, unsubscribes), it refuses every
// event as unavailable: the relays retry (SNS for an hour, SendGrid and
// Mailgun for a day or more), so nothing is lost meanwhile.
func (a *App) HookSink() esphooks.Sink { return unwiredSink{} }

type unwiredSink struct{}

func (unwiredSink) Apply(context.Context, esphooks.Event) error {
	return fault.Errorf(fault.Unavailable, "webhook events are not wired to the bounce service yet")
}
