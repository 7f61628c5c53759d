package api

import (
	"errors"
	"strconv"

	"mailer/internal/address"
	"mailer/internal/bounces"
	"mailer/internal/fault"
	"mailer/internal/optin"
	"mailer/internal/store"
)

// Members is a page of a list's members, each as `subscribers ls --json`
// prints it; NextCursor, when set, asks for the next page (?cursor=).
type Members struct {
	Items      []*store.Member `json:"items"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// NewMember is POST /api/v1/lists/{list}/members: an owner's add, as
// `subscribers add` makes it. Force re-adds someone who left or
// complained, and says so in the audit log, as --force does.
type NewMember struct {
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
	Force   bool   `json:"force,omitempty"`
}

// MemberPatch is PATCH /api/v1/lists/{list}/members/{address}. Status
// "active" reactivates a bounced or disabled member (`subscribers
// reactivate`) or adds back someone else (`subscribers add`, Force for one
// who left); "unsubscribed" removes (`subscribers rm`). Name fills an
// empty name; a name the subscriber has is never overwritten.
type MemberPatch struct {
	Name   *string       `json:"name,omitempty"`
	Status *store.Status `json:"status,omitempty"`
	Force  bool          `json:"force,omitempty"`
	Reason string        `json:"reason,omitempty"`
}

// Change is what became of the address, with the fields of `subscribers
// add|rm --json`, and the member as it now stands.
type Change struct {
	Input   string        `json:"input"`
	Address string        `json:"address,omitempty"`
	From    store.Status  `json:"from"`
	To      store.Status  `json:"to"`
	Changed bool          `json:"changed"`
	Member  *store.Member `json:"member"`
}

func listMembers(c *call) (any, error) {
	return memberPage(c, c.r.URL.Query().Get("status"))
}

// memberPage is a page of c's list by cursor (the subscriber id the last
// page ended with: stable while members come and go).
func memberPage(c *call, status string) (Members, error) {
	q := store.MemberQuery{Search: c.r.URL.Query().Get("q")}
	if status != "" {
		st, err := store.ParseStatus(status)
		if err != nil {
			return Members{}, err
		}
		q.Status = st
	}
	var err error
	if q.Limit, err = intQuery(c, "limit", 100, 1, 1000); err != nil {
		return Members{}, err
	}
	if raw := c.r.URL.Query().Get("cursor"); raw != "" {
		if q.After, err = strconv.ParseInt(raw, 10, 64); err != nil || q.After < 0 {
			return Members{}, fault.Errorf(fault.Invalid, "cursor=%q is not a cursor this API gave", raw)
		}
	}
	ms, more, err := c.h.o.DB.MemberPage(c.ctx, c.list, q)
	if err != nil {
		return Members{}, err
	}
	out := Members{Items: ms}
	if more && len(ms) > 0 {
		out.NextCursor = strconv.FormatInt(ms[len(ms)-1].SubscriberID, 10)
	}
	return out, nil
}

func addMember(c *call) (any, error) {
	var in NewMember
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.Address == "" {
		return nil, fault.Errorf(fault.Invalid, `field "address": required`)
	}
	changes, err := optin.NewOwners(c.h.o.DB).Add(c.ctx, c.list, []string{in.Address}, in.Name, in.Force,
		c.evidence(store.SourceAdmin, "added by an owner"))
	return c.changed(changes, err)
}

func getMember(c *call) (any, error) {
	return c.h.o.DB.GetMember(c.ctx, c.list, c.r.PathValue("address"))
}

func deleteMember(c *call) (any, error) {
	changes, err := optin.NewOwners(c.h.o.DB).Remove(c.ctx, c.list, []string{c.r.PathValue("address")},
		c.evidence(store.SourceAdmin, "removed by an owner"))
	return c.changed(changes, err)
}

// changed turns the workflow's one change into the answer: the address's
// own refusal (a bad address, consent withdrawn, a move the lifecycle
// forbids) is the request's error.
func (c *call) changed(changes []optin.OwnerChange, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if len(changes) != 1 {
		return nil, fault.Errorf(fault.Internal, "one address gave %d changes", len(changes))
	}
	ch := changes[0]
	if errors.Is(ch.Err, optin.ErrConsentWithdrawn) {
		return nil, fault.Explain(fault.Conflict, ch.Err, `%v. Send "force": true only if they asked you to subscribe them again.`, ch.Err)
	}
	if ch.Err != nil {
		return nil, ch.Err
	}
	m, err := c.h.o.DB.GetMember(c.ctx, c.list, ch.Address)
	if err != nil {
		return nil, err
	}
	return Change{Input: ch.Input, Address: ch.Address, From: ch.From, To: ch.To, Changed: ch.Changed, Member: m}, nil
}

func patchMember(c *call) (any, error) {
	var in MemberPatch
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	addr := c.r.PathValue("address")
	cur, err := c.h.o.DB.GetMember(c.ctx, c.list, addr)
	if err != nil {
		return nil, err
	}
	out := Change{Input: addr, Address: cur.Address, From: cur.Status, To: cur.Status, Member: cur}
	if in.Name != nil {
		if out, err = c.rename(cur, *in.Name); err != nil {
			return nil, err
		}
	}
	if in.Status == nil || *in.Status == cur.Status {
		return out, nil
	}
	reason := in.Reason
	owners := optin.NewOwners(c.h.o.DB)
	switch *in.Status {
	case store.Active:
		if bounces.Reactivatable(cur.Status) {
			if reason == "" {
				reason = "reactivated"
			}
			if _, err := bounces.Reactivate(c.ctx, c.h.o.DB, c.list, cur.Address, c.evidence(store.SourceAdmin, reason)); err != nil {
				return nil, err
			}
			m, err := c.h.o.DB.GetMember(c.ctx, c.list, cur.Address)
			return Change{Input: addr, Address: cur.Address, From: cur.Status, To: store.Active, Changed: true, Member: m}, err
		}
		if reason == "" {
			reason = "added by an owner"
		}
		return c.changed(owners.Add(c.ctx, c.list, []string{cur.Address}, "", in.Force, c.evidence(store.SourceAdmin, reason)))
	case store.Unsubscribed:
		if reason == "" {
			reason = "removed by an owner"
		}
		return c.changed(owners.Remove(c.ctx, c.list, []string{cur.Address}, c.evidence(store.SourceAdmin, reason)))
	}
	return nil, fault.Errorf(fault.Invalid, `field "status": an owner sets active or unsubscribed; %s comes from the member or their mail`, *in.Status)
}

// rename fills an empty name, by the store's rule for every edge: a name
// given later never overwrites one the subscriber may have set themselves.
func (c *call) rename(cur *store.Member, name string) (Change, error) {
	out := Change{Input: cur.Address, Address: cur.Address, From: cur.Status, To: cur.Status, Member: cur}
	switch {
	case name == cur.Name:
		return out, nil
	case cur.Name != "":
		return out, fault.Errorf(fault.Conflict, "%s is named %q: a name the subscriber may have set is not overwritten", cur.Address, cur.Name)
	}
	a, err := address.Parse(cur.Address)
	if err == nil {
		a.Name, err = address.ParseName(name)
	}
	if err != nil {
		return out, fault.Coded(fault.Invalid, err)
	}
	// Moving to the status it has changes no membership: only the
	// subscriber's empty name is filled.
	if _, err := c.h.o.DB.SetStatus(c.ctx, c.list, a, cur.Status, c.evidence(store.SourceAdmin, "named by an owner")); err != nil {
		return out, err
	}
	out.Member, err = c.h.o.DB.GetMember(c.ctx, c.list, cur.Address)
	return out, err
}
