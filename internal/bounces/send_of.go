package bounces

import (
	"context"
	"slices"
	"strings"

	"mailer/internal/bounce"
	"mailer/internal/fault"
	"mailer/internal/render"
	"mailer/internal/store"
)

// sendOf is the send of l whose message the report returns, 0 when the
// report does not say: the original's Message-ID names the delivery (the
// surest: it is unique and ours), else a Feedback-ID of ours that the
// report quotes (every issue carries one, and it survives reports that
// quote the original only as text).
func (s *Service) sendOf(ctx context.Context, l *store.List, raw []byte) (int64, error) {
	q := bounce.Quote(raw)
	for _, id := range q.Fields("Message-ID") {
		d, err := s.store.DeliveryByMessageID(ctx, strings.Trim(id, "<> "))
		if fault.CodeOf(err) == fault.NotFound {
			continue
		}
		if err != nil {
			return 0, err
		}
		if d.ListID == l.ID {
			return d.SendID, nil
		}
	}
	for _, v := range q.Fields("Feedback-ID") {
		if id := render.ParseFeedbackID(v); id > 0 {
			return id, nil
		}
	}
	return 0, nil
}

// countAgainstSend ties each scored failure of a member to the send, when
// the report names one. A failure to count is logged, not returned: the
// member's score stands, and the breaker still sees the send's refusals.
func (s *Service) countAgainstSend(ctx context.Context, l *store.List, raw []byte, out []Scored) {
	if !slices.ContainsFunc(out, counted) {
		return // nobody of ours was scored: no need to read the report again
	}
	send, err := s.sendOf(ctx, l, raw)
	if err != nil || send == 0 {
		if err != nil {
			s.log.Warn("could not tell the bounce's send", "list", l.Name, "err", err)
		}
		return
	}
	for _, sc := range out {
		if !counted(sc) {
			continue
		}
		if _, err := s.store.RecordSendBounce(ctx, l, send, sc.Address, sc.Kind == bounce.Hard); err != nil {
			s.log.Warn("could not count the bounce against its send", "list", l.Name, "send", send, "err", err)
		}
	}
}

// counted says whether a scored failure counts against its send: a
// member's hard or soft bounce.
func counted(sc Scored) bool {
	return sc.Update.Member && (sc.Kind == bounce.Hard || sc.Kind == bounce.Soft)
}
