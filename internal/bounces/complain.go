package bounces

import (
	"context"
	"fmt"
	"strings"

	"mailer/internal/address"
	"mailer/internal/bounce"
	"mailer/internal/fault"
	"mailer/internal/listaddr"
	"mailer/internal/store"
	"mailer/internal/token"
)

// Complaint is one reader's spam complaint: from a feedback-loop report
// (ARF, RFC 5965) or an ESP's complaint event.
type Complaint struct {
	FeedbackType string // abuse, fraud, virus, other, ...
	Provider     string // who reported: "arf.mail.yahoo.com (Yahoo!-Mail-Feedback/1.0)", "ses"
	MessageID    string // the report's (or the event's) id, as evidence
	SendID       int64  // the send complained about; 0 when not known
	Raw          []byte // the report or the event, kept as evidence
}

// Tokens checks the signed membership tokens mailer puts in its mail
// (package token).
type Tokens interface {
	Verify(tok string) (token.Membership, error)
}

// Identify gives the service what it needs to find the member a feedback
// report is about: the address book (VERP and token addresses) and the
// token checker. Without it reports are kept but not acted on.
func (s *Service) Identify(book listaddr.Book, tokens Tokens) { s.book, s.tokens = &book, tokens }

// Complain stops addr's mail on l at once: status complained (never mailed
// again; only an owner's re-add with --force moves it), audited with the
// feedback type, the provider and the send, and the complaint counted. A
// second complaint from a member already complained counts nothing more.
// It never answers anyone: a complaint answered is one more mail the
// reader did not want. Not a member of l is a fault.NotFound.
func (s *Service) Complain(ctx context.Context, l *store.List, addr string, c Complaint) error {
	a, err := address.Parse(addr)
	if err != nil {
		return fault.Wrap(fault.Invalid, err, "complaint")
	}
	reason := "spam complaint (" + firstNonEmpty(c.FeedbackType, "abuse") + ")"
	if c.Provider != "" {
		reason += " from " + c.Provider
	}
	if c.SendID > 0 {
		reason += fmt.Sprintf(", send #%d", c.SendID)
	}
	counted := false
	err = s.store.Update(ctx, "record complaint", func(tx *store.Tx) error {
		m, err := tx.GetMember(ctx, l, a.String())
		if fault.CodeOf(err) == fault.NotFound {
			return fault.Errorf(fault.NotFound, "%s is not a member of %s", a.String(), l.Name)
		}
		if err != nil {
			return err
		}
		ch, err := tx.SetStatus(ctx, l, a, store.Complained, store.Evidence{Source: store.SourceEmail, Reason: reason,
			MessageID: c.MessageID, Operator: "feedback loop"})
		if err != nil || !ch.Changed() {
			return err
		}
		counted = true
		return tx.RecordComplaint(ctx, l, store.ComplaintRecord{Address: m.Address, SubscriberID: m.SubscriberID,
			SendID: c.SendID, FeedbackType: firstNonEmpty(c.FeedbackType, "abuse"), Provider: c.Provider,
			MessageID: c.MessageID, Raw: c.Raw})
	})
	if err == nil && counted && s.obs != nil {
		s.obs.Complained(l.Name)
	}
	return err
}

// feedback acts on a feedback report delivered to one of our addresses:
// a complaint about a member of ours stops that member; anything else (a
// DMARC failure report, a report about mail that is not ours, a member we
// cannot find) is kept for the owner and acts on nobody. Never answered.
func (s *Service) feedback(ctx context.Context, m Message, fb bounce.Feedback) ([]Scored, string, error) {
	keep := func(why string) ([]Scored, string, error) {
		err := s.store.StoreBounce(ctx, store.Bounce{ListName: m.List, Recipient: m.Recipient, MessageID: m.MessageID, Raw: m.Raw})
		return nil, why, err
	}
	if !fb.Complaint() {
		return keep("feedback report (" + fb.FeedbackType + "), not a complaint: kept")
	}
	who, err := s.identify(ctx, m, fb)
	if err != nil {
		return nil, "", err
	}
	if who.list == nil {
		return keep("spam complaint from " + fb.Provider() + " names no member of ours: kept")
	}
	c := Complaint{FeedbackType: fb.FeedbackType, Provider: fb.Provider(), MessageID: m.MessageID, SendID: who.send, Raw: m.Raw}
	if err := s.Complain(ctx, who.list, who.addr, c); err != nil {
		if fault.CodeOf(err) == fault.NotFound {
			return keep(fault.MessageOf(err) + ": complaint kept")
		}
		return nil, "", err
	}
	s.log.Info("spam complaint", "list", who.list.Name, "address", who.addr, "found by", who.how, "provider", c.Provider, "send", c.SendID)
	return nil, fmt.Sprintf("%s complained (%s, found by %s): mail stopped", who.addr, fb.FeedbackType, who.how), nil
}

// firstHeader is the first non-empty value among the original's headers.
func firstHeader(fb bounce.Feedback, names ...string) string {
	if fb.Original == nil {
		return ""
	}
	for _, n := range names {
		if v := strings.TrimSpace(fb.Original.Get(n)); v != "" {
			return v
		}
	}
	return ""
}
