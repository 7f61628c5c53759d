package inbound

import (
	"context"
	"fmt"
	"strings"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/mailout"
	"mailer/internal/optin"
	"mailer/internal/store"
)

// maxUnknown is how many lines that are not commands end the reading: a
// greeting is forgiven, a whole letter is not read as commands.
const maxUnknown = 3

// resultData feeds templates/inbound/results.tmpl.
type resultData struct {
	List, Title, Description, Address, Sender, Error  string
	Time, Until, Extra, Host, Archive, CommandAddress string
	Items                                             []string
}

// line is one command with its result, for the answer.
type line struct{ Command, Text string }

// session is the work on one command mail.
type session struct {
	h       *Handler
	ctx     context.Context
	m       *Message
	results []line
	// to is where the answer goes (the Reply-To, else the From), fixed for
	// the whole mail: every line's wording depends on it.
	to address.Address
	// asks are the confirmations the commands decided on, sent at the end
	// (the first to s.to carrying the answer); each with its answer line.
	asks []ask
	last string // the result of the last line added, for the Observer
}

type ask struct {
	*optin.Ask
	line int // index in results
}

// ErrHeld is the site-wide cap of answers stopping a command mail: nothing
// of it was sent, and the MTA is to try again later (pipe exit 75, LMTP
// 451 4.7.1), so that a burst of subscriptions waits in the MTA's queue
// instead of losing readers. Only the per-address cap drops mail.
var ErrHeld = mailout.ErrSiteCapped

// commands runs cmds and answers the sender with the transcript. The
// site-wide cap is checked before any command runs: a mail held back has
// changed nothing, and comes again.
func (h *Handler) commands(ctx context.Context, m *Message, defaultList string, cmds []Command) (Result, error) {
	s := &session{h: h, ctx: ctx, m: m, to: m.ReplyAddress()}
	if err := h.p.Mail.SiteRoom(ctx, store.BudgetMail, 1); err != nil {
		return Result{}, err
	}
	stopped, err := s.runAll(cmds, defaultList)
	if err != nil {
		return Result{}, err // the store failed: let the MTA retry the whole mail
	}
	if len(s.results) == 0 {
		s.add("", "unknown-command", resultData{Extra: ""})
	}
	sent, err := s.finish(defaultList, stopped)
	detail := fmt.Sprintf("%d command(s)", len(cmds))
	if !sent {
		detail += "; answer dropped (the hourly cap for one address)"
	}
	return Result{Outcome: Answered, Detail: detail}, err
}

// runAll runs the commands, up to the limits, and says whether an "end"
// stopped them.
func (s *session) runAll(cmds []Command, defaultList string) (bool, error) {
	unknown := 0
	for i, c := range cmds {
		if i >= s.h.o.MaxCommands {
			s.add("", "too-many-commands", resultData{Extra: fmt.Sprint(s.h.o.MaxCommands)})
			break
		}
		if c.Verb == "end" {
			s.observe("end", ResultOK)
			return true, nil
		}
		if c.Problem == "unknown" {
			s.observe(VerbUnknown, ResultInvalid)
			unknown++
			word := strings.Fields(c.Raw)[0]
			s.add(c.Raw, "unknown-command", resultData{Extra: word})
			if unknown >= maxUnknown {
				s.add("", "too-many-unknown", resultData{})
				break
			}
			continue
		}
		if err := s.run(c, defaultList); err != nil {
			s.observe(c.Verb, ResultError)
			return false, err
		}
		s.observe(c.Verb, resultOf(s.last))
	}
	return false, nil
}

// finish sends the confirmations the commands asked for and the answer:
// inside the first confirmation to the answer's address when there is
// one (one mail, not two), else on its own. The mails must all fit the
// site-wide cap, or none goes and the mail is held back (ErrHeld). It says
// whether the answer went.
func (s *session) finish(list string, stopped bool) (bool, error) {
	carrier := -1
	for i, k := range s.asks {
		if address.Key(k.To().String()) == address.Key(s.to.String()) {
			carrier = i
			break
		}
	}
	need := len(s.asks)
	if carrier < 0 {
		need++
	}
	if err := s.h.p.Mail.SiteRoom(s.ctx, store.BudgetMail, need); err != nil {
		return false, err
	}
	for i, k := range s.asks {
		carry := ""
		if i == carrier {
			s.results[k.line].Text = s.render("confirmation-here", resultData{Address: k.To().String()})
			body, err := s.h.transcript(s.m, s.results, stopped)
			if err != nil {
				return false, err
			}
			carry = body
		}
		err := s.h.p.Subs.Send(s.ctx, k.Ask, carry)
		if mailout.SiteCapped(err) || (err != nil && !mailout.Capped(err)) {
			return false, err // the MTA retries; what went is found recent then
		}
		if err != nil && i == carrier {
			return false, nil // the per-address cap: dropped, and logged
		}
	}
	if carrier >= 0 {
		return true, nil
	}
	return s.h.answer(s.ctx, s.m, list, s.to, s.results, stopped)
}

func (s *session) add(cmd, name string, d resultData) {
	s.results = append(s.results, line{Command: cmd, Text: s.render(name, d)})
	s.last = name
}

// render is one result's text.
func (s *session) render(name string, d resultData) string {
	book := s.h.o.Book
	d.Host, d.CommandAddress, d.Sender = book.Host, book.Commands(), s.m.From.String()
	var b strings.Builder
	if err := s.h.results.ExecuteTemplate(&b, name, d); err != nil {
		b.WriteString("**** internal error: " + err.Error())
	}
	return strings.TrimRight(b.String(), "\n")
}

// run executes one command. Only store failures are returned; everything
// a reader can get wrong is a line in the answer.
func (s *session) run(c Command, defaultList string) error {
	if c.Problem == "needs-list" || c.Problem == "needs-token" {
		s.add(c.Raw, "needs-list", resultData{Extra: c.Verb})
		return nil
	}
	var l *store.List
	if c.List != "" {
		var err error
		if l, err = s.h.store.GetList(s.ctx, c.List); err != nil {
			if fault.CodeOf(err) == fault.NotFound {
				s.add(c.Raw, "no-list", resultData{List: c.List})
				return nil
			}
			return err
		}
	}
	switch c.Verb {
	case "subscribe":
		return s.subscribe(c, l)
	case "unsubscribe":
		return s.unsubscribe(c, l)
	case "confirm":
		return s.confirm(c)
	case "which":
		return s.which(c)
	case "who":
		return s.who(c, l)
	case "info":
		s.add(c.Raw, "info", resultData{List: l.Name, Title: l.Title, Description: l.Description, Archive: s.h.o.Book.ArchiveURL(l.Name, "")})
	case "lists":
		return s.lists(c)
	case "help":
		s.add(c.Raw, "help", resultData{})
	}
	return nil
}

// target is the address a subscribe or unsubscribe is about: the one named
// in the command, else the sender's From.
func (s *session) target(c Command) (address.Address, bool) {
	if c.Address == "" {
		return s.m.From, true
	}
	a, err := address.Parse(c.Address)
	if err != nil {
		s.add(c.Raw, "bad-address", resultData{Error: err.Error()})
		return a, false
	}
	return a, true
}

func (s *session) subscribe(c Command, l *store.List) error {
	a, ok := s.target(c)
	if !ok {
		return nil
	}
	out, err := s.h.p.Subs.Subscribe(s.ctx, l, a, s.request(a, "subscribe by mail from "+s.m.From.String()))
	if err != nil {
		return err
	}
	d := resultData{List: l.Name, Title: l.Title, Address: a.String(), Extra: out.Detail, Error: out.Detail}
	if out.Kind == optin.ListClosed {
		d.Extra = strings.Join(l.Owners, ", ")
		if d.Extra == "" {
			d.Extra = s.h.o.Owner
		}
	}
	s.addOutcome(c, out, d)
	return nil
}

func (s *session) unsubscribe(c Command, l *store.List) error {
	a, ok := s.target(c)
	if !ok {
		return nil
	}
	out, err := s.h.p.Subs.Unsubscribe(s.ctx, l, a, s.request(a, "unsubscribe by mail from "+s.m.From.String()))
	if err != nil {
		return err
	}
	s.addOutcome(c, out, resultData{List: l.Name, Title: l.Title, Address: a.String(), Error: out.Detail})
	return nil
}

// addOutcome adds the answer line for what a request did.
func (s *session) addOutcome(c Command, out optin.Outcome, d resultData) {
	if out.Kind == optin.ConfirmationRecent {
		d.Time, d.Until = optin.Stamp(out.Last), optin.Stamp(out.Last.Add(s.h.p.Subs.Interval()))
	}
	if out.Ask != nil {
		s.asks = append(s.asks, ask{Ask: out.Ask, line: len(s.results)})
	}
	s.add(c.Raw, string(out.Kind), d)
}

// request describes this mail as the origin of a request about a. Only
// when the answer goes to a itself may it tell a's state.
func (s *session) request(a address.Address, reason string) optin.Request {
	return optin.Request{Requester: s.m.From.String(), MessageID: s.m.MessageID, References: s.m.References,
		Evidence: store.Evidence{Source: store.SourceEmail, MessageID: s.m.MessageID, Reason: reason},
		Budget:   store.BudgetMail, Self: address.Key(a.String()) == address.Key(s.to.String()), Later: true}
}

func (s *session) confirm(c Command) error {
	conf, err := s.h.p.Subs.Confirm(s.ctx, c.Token, store.Evidence{Source: store.SourceEmail, MessageID: s.m.MessageID,
		Reason: "confirmed by mail from " + s.m.From.String()})
	if err != nil {
		if fault.CodeOf(err) == fault.Invalid || fault.CodeOf(err) == fault.Conflict {
			s.add(c.Raw, "confirm-failed", resultData{Error: err.Error()})
			return nil
		}
		return err
	}
	result, state := "subscribed", "subscribed to"
	if conf.Action == "unsubscribe" {
		result, state = "unsubscribed", "not subscribed to"
	}
	if conf.Again {
		result = "confirmed-again"
	}
	s.add(c.Raw, result, resultData{List: conf.ListName, Address: conf.Address, Extra: state})
	return nil
}

// replyData feeds templates/inbound/reply.txt.
type replyData struct {
	Results     []line
	Stopped     bool
	Host, Owner string
	Date        string
}

// transcript is the answer's text: each command with its result.
func (h *Handler) transcript(m *Message, results []line, stopped bool) (string, error) {
	owner := h.o.Owner
	if owner == "" {
		owner = h.o.Book.Postmaster()
	}
	var body strings.Builder
	if err := h.reply.Execute(&body, replyData{Results: results, Stopped: stopped, Host: h.o.Book.Host, Owner: owner,
		Date: m.Header.Get("Date")}); err != nil {
		return "", fault.Wrap(fault.Internal, err, "template inbound/reply.txt")
	}
	return body.String(), nil
}

// answer sends the transcript of a command mail to its sender. Mail to a
// list's own addresses is answered from the list; mail to majordomo@ from
// majordomo@. An answer past the per-address cap is dropped, and not an
// error: that cap is what stops two robots answering each other. The
// site-wide cap is an error (ErrHeld): the MTA brings the mail again.
func (h *Handler) answer(ctx context.Context, m *Message, list string, to address.Address, results []line, stopped bool) (bool, error) {
	body, err := h.transcript(m, results, stopped)
	if err != nil {
		return false, err
	}
	book := h.o.Book
	subject := "Majordomo results"
	if m.Subject != "" {
		subject = "Re: " + strings.TrimPrefix(m.Subject, "Re: ")
	}
	from, envelope := h.p.Mail.SiteFrom(), book.SiteBounces()
	if list != "" {
		l, err := h.store.GetList(ctx, list)
		if err != nil {
			return false, err
		}
		from, envelope = h.p.Mail.ListFrom(l), book.Bounces(l.Name)
	}
	msg, err := h.p.Mail.Compose(mailout.Header{From: from, To: to.String(), Subject: subject, InReplyTo: m.MessageID,
		References: m.References}, body)
	if err != nil {
		return false, err
	}
	err = h.p.Mail.Send(ctx, store.BudgetMail, envelope, to.String(), msg)
	if mailout.Capped(err) && !mailout.SiteCapped(err) {
		return false, nil
	}
	return err == nil, err
}
