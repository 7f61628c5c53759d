package bounces

import (
	"context"
	"strings"

	"mailer/internal/bounce"
	"mailer/internal/fault"
	"mailer/internal/listaddr"
	"mailer/internal/render"
	"mailer/internal/store"
)

// complainer is the member a report is about, and how it was found.
type complainer struct {
	list *store.List // nil: nobody of ours
	addr string
	send int64
	how  string
}

// identify finds the member a complaint is about from the original it
// quotes, the surest way first: the member header and the List-Unsubscribe
// token are signed by us and survive a provider redacting the address
// (AOL rewrites it, VERP included, to "redacted"); the Message-ID names
// the delivery; the VERP return path names the address. Only then the
// address the report names, and only on a list the report shows to be
// ours. The send comes from the delivery or the Feedback-ID.
func (s *Service) identify(ctx context.Context, m Message, fb bounce.Feedback) (complainer, error) {
	if s.book == nil || s.tokens == nil {
		return complainer{}, nil
	}
	steps := []func(context.Context, Message, bounce.Feedback) (complainer, error){
		s.byMemberHeader, s.byUnsubscribeToken, s.byMessageID, s.byVERP, s.byRecipient,
	}
	for _, step := range steps {
		c, err := step(ctx, m, fb)
		if err != nil {
			return c, err
		}
		if c.list != nil {
			if c.send == 0 {
				c.send = render.ParseFeedbackID(firstHeader(fb, "Feedback-ID"))
			}
			return c, nil
		}
	}
	return complainer{}, nil
}

// byToken finds the member a signed token names; a token that does not
// verify, or names nobody any more, finds no one.
func (s *Service) byToken(ctx context.Context, tok, how string) (complainer, error) {
	ms, err := s.tokens.Verify(tok)
	if err != nil {
		return complainer{}, nil
	}
	l, mem, err := s.store.MemberByID(ctx, ms.ListID, ms.SubscriberID)
	if fault.CodeOf(err) == fault.NotFound {
		return complainer{}, nil
	}
	if err != nil {
		return complainer{}, err
	}
	return complainer{list: l, addr: mem.Address, how: how}, nil
}

func (s *Service) byMemberHeader(ctx context.Context, _ Message, fb bounce.Feedback) (complainer, error) {
	tok := firstHeader(fb, render.MemberHeader)
	if tok == "" {
		return complainer{}, nil
	}
	return s.byToken(ctx, tok, "member id")
}

// byUnsubscribeToken reads the tokens of the original's List-Unsubscribe
// (RFC 2369): the https URL and the LIST-unsubscribe+TOKEN@ mailto.
func (s *Service) byUnsubscribeToken(ctx context.Context, _ Message, fb bounce.Feedback) (complainer, error) {
	for _, v := range strings.Split(firstHeader(fb, "List-Unsubscribe"), ",") {
		v = strings.Trim(strings.TrimSpace(v), "<>")
		var tok string
		if mailto, ok := strings.CutPrefix(v, "mailto:"); ok {
			addr, _, _ := strings.Cut(mailto, "?")
			if r, err := s.book.Parse(addr); err == nil && r.Kind == listaddr.KindTokenUnsubscribe {
				tok = r.Token
			}
		} else if p, err := s.book.ParseURL(v); err == nil && p.Kind == listaddr.PageUnsubscribe {
			tok = p.Token
		}
		if tok == "" {
			continue
		}
		if c, err := s.byToken(ctx, tok, "unsubscribe token"); err != nil || c.list != nil {
			return c, err
		}
	}
	return complainer{}, nil
}

// byMessageID finds the delivery the original's Message-ID names.
func (s *Service) byMessageID(ctx context.Context, _ Message, fb bounce.Feedback) (complainer, error) {
	return s.byOriginalID(ctx, firstHeader(fb, "Message-Id"))
}

// byOriginalID finds the delivery whose Message-ID (one of ours) id is,
// and so the member and the send.
func (s *Service) byOriginalID(ctx context.Context, id string) (complainer, error) {
	id = strings.Trim(id, "<> ")
	if s.book == nil || id == "" || !strings.HasSuffix(strings.ToLower(id), "@"+strings.ToLower(s.book.Host)) {
		return complainer{}, nil
	}
	d, err := s.store.DeliveryByMessageID(ctx, id)
	if fault.CodeOf(err) == fault.NotFound {
		return complainer{}, nil
	}
	if err != nil {
		return complainer{}, err
	}
	l, mem, err := s.store.MemberByID(ctx, d.ListID, d.SubscriberID)
	if fault.CodeOf(err) == fault.NotFound {
		return complainer{}, nil
	}
	if err != nil {
		return complainer{}, err
	}
	return complainer{list: l, addr: mem.Address, send: d.SendID, how: "Message-ID"}, nil
}

// byVERP reads the VERP address (LIST-bounces+alice=example.org@HOST): the
// one the report came to, the original's Return-Path, the report's
// Original-Mail-From.
func (s *Service) byVERP(ctx context.Context, m Message, fb bounce.Feedback) (complainer, error) {
	for _, v := range []string{m.Recipient, firstHeader(fb, "Return-Path"), fb.OriginalMailFrom} {
		r, err := s.book.Parse(strings.Trim(strings.TrimSpace(v), "<>"))
		if err != nil || r.Kind != listaddr.KindBounce || r.VERP == "" {
			continue
		}
		if c, err := s.member(ctx, r.List, r.VERP, "VERP"); err != nil || c.list != nil {
			return c, err
		}
	}
	return complainer{}, nil
}

// byRecipient takes the address the report names, on the list the report
// came to or the original's List-Id names, if it is ours.
func (s *Service) byRecipient(ctx context.Context, m Message, fb bounce.Feedback) (complainer, error) {
	list := m.List
	if id := firstHeader(fb, "List-Id"); list == "" && id != "" {
		_, inner, _ := strings.Cut(id, "<")
		list, _ = strings.CutSuffix(strings.TrimSuffix(strings.TrimSpace(inner), ">"), "."+s.book.Host)
	}
	if list == "" || strings.Contains(list, "<") {
		return complainer{}, nil
	}
	for _, addr := range fb.Recipients() {
		if c, err := s.member(ctx, list, addr, "address in the report"); err != nil || c.list != nil {
			return c, err
		}
	}
	return complainer{}, nil
}

// member is addr on the list named list, if both exist.
func (s *Service) member(ctx context.Context, list, addr, how string) (complainer, error) {
	l, err := s.store.GetList(ctx, list)
	if fault.CodeOf(err) == fault.NotFound {
		return complainer{}, nil
	}
	if err != nil {
		return complainer{}, err
	}
	mem, err := s.store.GetMember(ctx, l, addr)
	if fault.CodeOf(err) == fault.NotFound {
		return complainer{}, nil
	}
	if err != nil {
		return complainer{}, err
	}
	return complainer{list: l, addr: mem.Address, how: how}, nil
}
