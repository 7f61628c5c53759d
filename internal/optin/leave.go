package optin

import (
	"context"
	"strings"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// The token path: every mail to a list carries a signed unsubscribe token
// in its List-Unsubscribe link and mailto address (RFC 2369, RFC 8058).
// The token names the membership and proves the request whoever sends it,
// so leaving by token needs no confirmation. The web pages and the mail
// handler both come here; neither holds the rule.

// Refusal is why a token does nothing. It is the cause (errors.Is) of the
// *fault.Error that Holder and Leave return.
type Refusal string

// Refusals of the token path.
const (
	// BadToken: not signed with our secret, or tampered with (fault.Invalid).
	BadToken Refusal = "invalid unsubscribe token"
	// NoMember: the list or the membership the token names is gone
	// (fault.NotFound).
	NoMember Refusal = "no such member"
	// OtherList: a mailto address of one list carries the token of another
	// (fault.NotFound).
	OtherList Refusal = "unsubscribe token of another list"
)

func (r Refusal) Error() string { return string(r) }

// Link is a signed unsubscribe token as it came.
type Link struct {
	Token string
	// List is the list the mailto address (LIST-unsubscribe+TOKEN) names,
	// which the token must belong to; "" for a web link, which names none.
	List string
}

// Holder resolves a link to the list and member its token names. Every use
// of a token starts here (the unsubscribe page, Leave, coming back through
// Resubscribe), so this is the one place for the rules of what an old link
// may still do once its member is found: see MayUndo.
func (s *Service) Holder(ctx context.Context, k Link) (*store.List, *store.Member, error) {
	if s.o.Tokens == nil {
		return nil, nil, &fault.Error{Code: fault.Invalid, Err: BadToken}
	}
	mem, err := s.o.Tokens.Verify(k.Token)
	if err != nil {
		return nil, nil, &fault.Error{Code: fault.Invalid, Err: BadToken}
	}
	l, m, err := s.store.MemberByID(ctx, mem.ListID, mem.SubscriberID)
	if fault.CodeOf(err) == fault.NotFound {
		return nil, nil, &fault.Error{Code: fault.NotFound, Err: NoMember, Message: fault.MessageOf(err)}
	}
	if err != nil {
		return nil, nil, err
	}
	if k.List != "" && l.Name != k.List {
		return nil, nil, &fault.Error{Code: fault.NotFound, Err: OtherList}
	}
	return l, m, nil
}

// tokenMark ends the audit reason of every unsubscribe made by token, so
// that the token can later tell its own unsubscribe from any other.
const tokenMark = " [by the signed unsubscribe link]"

// UndoWindow is how long after leaving by its link a reader may undo it
// with the same link, when Options.UndoWindow is not set: long enough to
// notice a slip, short enough that an old mail found in an archive or a
// forwarded copy cannot bring a reader back.
const UndoWindow = 7 * 24 * time.Hour

// MayUndo says whether the link of m may make m active again without a
// confirmation: only to undo an unsubscribe made with that same link (the
// token names the membership, so every copy of it is the same link), from
// active, within the undo window. An owner's removal, a bounce, a spam
// report, an unsubscribe confirmed by mail or an import is never undone by
// an old link: that takes a new subscription the address confirms, or an
// owner.
func (s *Service) MayUndo(ctx context.Context, l *store.List, m *store.Member) (bool, error) {
	if m.Status != store.Unsubscribed || m.UnsubscribedAt == nil || !strings.HasSuffix(m.Reason, tokenMark) {
		return false, nil
	}
	// The reason of an owner's change is typed by a person: only the two
	// sources a token comes by count.
	if m.Source != store.SourceWeb && m.Source != store.SourceEmail {
		return false, nil
	}
	if age := s.o.Now().Sub(*m.UnsubscribedAt); age < 0 || age > s.undoWindow() {
		return false, nil
	}
	before, err := s.store.PreviousStatus(ctx, l, m.Address)
	return before == store.Active, err
}

func (s *Service) undoWindow() time.Duration {
	if s.o.UndoWindow > 0 {
		return s.o.UndoWindow
	}
	return UndoWindow
}

// Left is what leaving by token did.
type Left struct {
	List    *store.List
	Member  *store.Member // as it was found
	Address address.Address
	// Already: the member had left before and nothing changed (a second
	// click, an MTA's retry): leaving is idempotent.
	Already bool
}

// Leave unsubscribes the member a link's token names, at once, recording ev
// in the audit log. A refused token is a Refusal (see Holder). A move the
// lifecycle forbids is the store's fault.Conflict, returned with Left still
// naming the member, which did not change; so is any other failure of the
// change itself.
func (s *Service) Leave(ctx context.Context, k Link, ev store.Evidence) (Left, error) {
	l, m, err := s.Holder(ctx, k)
	if err != nil {
		return Left{}, err
	}
	a, err := address.Parse(m.Address)
	if err != nil {
		return Left{}, err
	}
	left := Left{List: l, Member: m, Address: a}
	if m.Status == store.Unsubscribed {
		left.Already = true
		return left, nil
	}
	ev.Reason += tokenMark
	_, err = s.store.SetStatus(ctx, l, a, store.Unsubscribed, ev)
	return left, err
}
