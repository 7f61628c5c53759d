package app

import (
	"context"

	"mailer/internal/bounces"
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

// HookSink is where the webhooks' events go: the bounce service, which
// scores bounces, stops complainers and takes the relay's unsubscribes as
// the same reports by mail would.
func (a *App) HookSink() esphooks.Sink { return hookSink{a: a} }

type hookSink struct{ a *App }

var relayedKinds = map[esphooks.Kind]bounces.RelayedKind{
	esphooks.HardBounce: bounces.RelayedHard, esphooks.SoftBounce: bounces.RelayedSoft,
	esphooks.Complaint: bounces.RelayedComplaint, esphooks.Unsubscribe: bounces.RelayedUnsubscribe,
}

func (h hookSink) Apply(ctx context.Context, ev esphooks.Event) error {
	kind, ok := relayedKinds[ev.Kind]
	if !ok {
		return fault.Errorf(fault.Invalid, "%s event of kind %v", ev.Provider, ev.Kind)
	}
	o := esphooks.Locate(h.a.Book, ev)
	return h.a.Bounces.Relayed(ctx, bounces.Relayed{Kind: kind, List: o.List, VERP: o.Member, Token: o.Token,
		Recipient: ev.Recipient, Provider: ev.Provider, MessageID: ev.MessageID, Diagnostic: ev.Diagnostic,
		Feedback: ev.FeedbackType})
}
