package bounces

import (
	"context"
	"strings"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// RelayedKind is what a relay (an ESP) reports of one recipient.
type RelayedKind int

// Kinds of relayed reports.
const (
	RelayedHard        RelayedKind = iota + 1 // a permanent failure: a hard bounce
	RelayedSoft                               // a transient failure: a soft bounce
	RelayedComplaint                          // a spam report: the member is stopped as complained
	RelayedUnsubscribe                        // the relay's own unsubscribe: the member leaves
)

// Relayed is a relay's report about one recipient, as its webhook gives it,
// with what the relay echoes of the message mailer sent: the list and
// member the VERP return path names, the signed token of List-Unsubscribe.
type Relayed struct {
	Kind                 RelayedKind
	List, VERP, Token    string
	Recipient            string
	Provider, MessageID  string
	Diagnostic, Feedback string
}

// Relayed acts on a relay's report as on the same report by mail: a bounce
// is scored under the list's policy, a complaint stops the member at once,
// the relay's unsubscribe makes the member leave. The member is found the
// surest way first: the signed token, then the original's Message-ID (which
// also names the send), the VERP address on its list, then the recipient
// on the list the message names. A report about nobody
// of ours is a fault.NotFound: the caller logs it and moves on.
func (s *Service) Relayed(ctx context.Context, r Relayed) error {
	c, err := s.relayedMember(ctx, r)
	if err != nil {
		return err
	}
	if c.list == nil {
		return fault.Errorf(fault.NotFound, "%s report for %s: not a member of ours", r.Provider, r.Recipient)
	}
	reason := r.Provider + ": " + firstNonEmpty(r.Diagnostic, "reported by the relay")
	switch r.Kind {
	case RelayedHard, RelayedSoft:
		var up store.BounceUpdate
		if up, err = s.score(ctx, c.list, c.addr, r.Kind == RelayedHard, reason); err == nil && up.Member && c.send > 0 {
			_, err = s.store.RecordSendBounce(ctx, c.list, c.send, c.addr, r.Kind == RelayedHard)
		}
	case RelayedComplaint:
		err = s.Complain(ctx, c.list, c.addr, Complaint{FeedbackType: r.Feedback, Provider: r.Provider, MessageID: r.MessageID,
			SendID: c.send})
	case RelayedUnsubscribe:
		err = s.relayedLeave(ctx, c, reason)
	default:
		err = fault.Errorf(fault.Invalid, "%s report of an unknown kind %d", r.Provider, r.Kind)
	}
	return err
}

func (s *Service) relayedMember(ctx context.Context, r Relayed) (complainer, error) {
	if r.Token != "" && s.tokens != nil {
		if c, err := s.byToken(ctx, r.Token, "unsubscribe token"); err != nil || c.list != nil {
			return c, err
		}
	}
	if c, err := s.byOriginalID(ctx, r.MessageID); err != nil || c.list != nil {
		return c, err
	}
	if r.List != "" && r.VERP != "" {
		if c, err := s.member(ctx, r.List, r.VERP, "VERP return path"); err != nil || c.list != nil {
			return c, err
		}
	}
	if r.List != "" && r.Recipient != "" {
		return s.member(ctx, r.List, r.Recipient, "recipient")
	}
	return complainer{}, nil
}

// relayedLeave unsubscribes the member the relay says left through its
// own link. Someone already stopped (left, bounced, complained, disabled)
// stays as they are: a complaint outranks a later unsubscribe.
func (s *Service) relayedLeave(ctx context.Context, c complainer, reason string) error {
	a, err := address.Parse(c.addr)
	if err != nil {
		return fault.Wrap(fault.Invalid, err, "relayed unsubscribe")
	}
	return s.store.Update(ctx, "relayed unsubscribe", func(tx *store.Tx) error {
		m, err := tx.GetMember(ctx, c.list, a.String())
		if err != nil || (m.Status != store.Active && m.Status != store.Pending) {
			return err
		}
		_, err = tx.SetStatus(ctx, c.list, a, store.Unsubscribed, store.Evidence{Source: store.SourceEmail,
			Reason: "unsubscribed at the relay (" + strings.TrimSpace(reason) + ")", Operator: "relay webhook"})
		return err
	})
}
