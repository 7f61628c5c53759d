// Package bounces is the one bounce service: it keeps bounce messages,
// adds what they say to the members' scores under the list's policy, and
// tells the owners when bounces stop mail to a member. Both ways a bounce
// reaches mailer go through it: a bounce message to LIST-bounces@ (mailer
// receive, mailer serve) and a permanent refusal while sending.
package bounces

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"mailer/internal/bounce"
	"mailer/internal/listaddr"
	"mailer/internal/store"
)

// Store is what the service needs of the subscription store.
type Store interface {
	GetList(ctx context.Context, name string) (*store.List, error)
	StoreBounce(ctx context.Context, b store.Bounce) error
	RecordBounce(ctx context.Context, l *store.List, addr string, hard bool, reason string, p store.BouncePolicy) (store.BounceUpdate, error)
	// For complaints (complain.go): the member's status and the complaint
	// in one transaction, and the lookups that find the complainer.
	Update(ctx context.Context, what string, fn func(tx *store.Tx) error) error
	GetMember(ctx context.Context, l *store.List, addr string) (*store.Member, error)
	MemberByID(ctx context.Context, listID, subscriberID int64) (*store.List, *store.Member, error)
	DeliveryByMessageID(ctx context.Context, id string) (store.Delivery, error)
	// RecordSendBounce ties a member's bounce to the send whose message
	// it returns (send_of.go), for that send's circuit breaker.
	RecordSendBounce(ctx context.Context, l *store.List, sendID int64, addr string, hard bool) (bool, error)
}

// Notifier tells a list's owners that bounces stopped mail to addr.
type Notifier interface {
	NotifyBounced(ctx context.Context, l *store.List, addr string, score float64, reason string) error
}

// Observer is told each bounce counted against a member and each
// complaint that stopped one (the metrics).
type Observer interface {
	Bounced(list string, hard bool)
	Complained(list string)
}

// Service records, scores and notifies.
type Service struct {
	store  Store
	notify Notifier // nil: owners are not told
	obs    Observer // nil: nobody counts
	policy store.BouncePolicy
	log    *slog.Logger
	book   *listaddr.Book // set by Identify: finds complainers
	tokens Tokens
}

// New returns a service. notify may be nil, or set later with Notify.
func New(s Store, notify Notifier, p store.BouncePolicy, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: s, notify: notify, policy: p, log: log}
}

// Notify sets who tells the owners.
func (s *Service) Notify(n Notifier) { s.notify = n }

// Observe sets who counts the bounces and complaints.
func (s *Service) Observe(o Observer) { s.obs = o }

// Message is one bounce message as delivered to a list's bounce address.
type Message struct {
	List      string
	Recipient string // the address it was delivered to
	VERP      string // the member the VERP address names, or ""
	MessageID string
	Raw       []byte
}

// Scored is what became of one address named by a bounce.
type Scored struct {
	Address string
	Kind    bounce.Kind
	Update  store.BounceUpdate
}

// Handle keeps a bounce message and scores it. VERP is authoritative: a
// bounce to LIST-bounces+alice=example.org@HOST is about alice whatever its
// text says, and the parser only says how bad it is; a delay warning or an
// auto-reply never scores, and a message it cannot read scores soft (and is
// kept for the owner). Without VERP, every failed recipient the report
// names is scored.
func (s *Service) Handle(ctx context.Context, m Message) ([]Scored, string, error) {
	if fb, ok := bounce.ParseFeedback(m.Raw); ok {
		return s.feedback(ctx, m, fb) // a spam complaint, not a bounce (complain.go)
	}
	r := bounce.Parse(m.Raw)
	targets := s.targets(r, m.VERP)
	kept := m.VERP
	if kept == "" && len(targets) > 0 {
		kept = targets[0].Recipient
	}
	if err := s.store.StoreBounce(ctx, store.Bounce{ListName: m.List, Recipient: m.Recipient, Address: kept,
		MessageID: m.MessageID, Raw: m.Raw}); err != nil {
		return nil, "", err
	}
	if len(targets) == 0 {
		return nil, describeUnscored(r, kept), nil
	}
	if m.List == "" {
		// Mail to mailer-bounces@ or complaints@: a bounce of mail about no
		// list (an answer, a confirmation) scores no membership.
		return nil, "bounce of mail about no list: kept, not scored", nil
	}
	l, err := s.store.GetList(ctx, m.List)
	if err != nil {
		return nil, "", err
	}
	var out []Scored
	for _, f := range targets {
		reason := strings.TrimSpace(string(f.Kind) + " bounce: " + f.Diagnostic)
		addr, up, err := s.scoreForms(ctx, l, f, reason)
		if err != nil {
			return out, "", err
		}
		out = append(out, Scored{Address: addr, Kind: f.Kind, Update: up})
	}
	s.countAgainstSend(ctx, l, m.Raw, out)
	return out, describe(m.List, out), nil
}

// targets are the failures to score.
func (s *Service) targets(r bounce.Report, verp string) []bounce.Failure {
	if verp != "" {
		f := r.For(verp)
		switch f.Kind {
		case bounce.Hard, bounce.Soft:
			return []bounce.Failure{f}
		case bounce.Delay, bounce.AutoReply:
			return nil
		}
		f.Kind, f.Diagnostic = bounce.Soft, "unrecognised message to the bounce address: "+firstNonEmpty(r.Diagnostic, "no report")
		return []bounce.Failure{f}
	}
	var out []bounce.Failure
	for _, f := range r.Failures {
		if f.Kind == bounce.Hard || f.Kind == bounce.Soft {
			out = append(out, f)
		}
	}
	return out
}

// Refusal counts a permanent refusal (5xx to RCPT or DATA) while sending
// as a hard bounce of addr, as a bounce message would.
func (s *Service) Refusal(ctx context.Context, l *store.List, addr, reply string) (store.BounceUpdate, error) {
	return s.score(ctx, l, addr, true, "refused when sending: "+reply)
}

// scoreForms scores the first form of the failed recipient that is a
// member: a report may name it as mailed (Original-Recipient) and as
// rewritten (Final-Recipient, an alias's target), and only the list knows
// which one it sent to. The store compares addresses by address.Key, so
// an A-label domain finds the member stored in Unicode.
func (s *Service) scoreForms(ctx context.Context, l *store.List, f bounce.Failure, reason string) (string, store.BounceUpdate, error) {
	forms := f.Forms()
	for _, addr := range forms {
		up, err := s.score(ctx, l, addr, f.Kind == bounce.Hard, reason)
		if err != nil || up.Member {
			return addr, up, err
		}
	}
	return forms[0], store.BounceUpdate{}, nil
}

func (s *Service) score(ctx context.Context, l *store.List, addr string, hard bool, reason string) (store.BounceUpdate, error) {
	up, err := s.store.RecordBounce(ctx, l, addr, hard, reason, s.policy)
	if err == nil && up.Member && s.obs != nil {
		s.obs.Bounced(l.Name, hard)
	}
	if err != nil || !up.Disabled || s.notify == nil {
		return up, err
	}
	if err := s.notify.NotifyBounced(ctx, l, addr, up.Score, reason); err != nil {
		// The member is stopped either way; the owners can see it in
		// `mailer bounces ls`.
		s.log.Warn("could not tell the owners", "list", l.Name, "address", addr, "err", err)
	}
	return up, nil
}

func describe(list string, out []Scored) string {
	var parts []string
	for _, sc := range out {
		if !sc.Update.Member {
			parts = append(parts, sc.Address+" is not a member of "+list)
			continue
		}
		p := fmt.Sprintf("%s %s bounce, score %.1f", sc.Address, sc.Kind, sc.Update.Score)
		if sc.Update.Disabled {
			p += "; mail stopped"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

func describeUnscored(r bounce.Report, addr string) string {
	what := "not a bounce"
	switch r.Kind {
	case bounce.Delay:
		what = "delivery delayed, not counted"
	case bounce.AutoReply:
		what = "auto-reply, not counted"
	case bounce.Hard, bounce.Soft:
		what = "bounce names no address"
	}
	if addr != "" {
		return addr + ": " + what
	}
	return what
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
