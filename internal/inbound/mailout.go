package inbound

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/render"
	"mailer/internal/store"
)

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newConfirmToken returns 120 random bits as 24 lower-case base32 letters:
// short enough for LIST-confirm+TOKEN@host and safe in URLs.
func newConfirmToken() (string, error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", fault.Wrap(fault.Internal, err, "random token: %v", err)
	}
	return tokenEncoding.EncodeToString(b), nil
}

func (h *Handler) commandAddress() string { return h.o.Aliases[0] + "@" + h.o.ListHost }

func (h *Handler) archiveURL(list string) string { return h.o.BaseURL + "/archive/" + list + "/" }

// confirmData feeds templates/inbound/confirm.txt.
type confirmData struct {
	Action, Address, Title, List, RequestedBy, MessageID, Expires string
	URL, ReplyTo, CommandAddress, Token, ListAddress, Contact     string
}

// sendConfirmation stores a new token and mails the request to the
// address itself. It counts against that address's answer cap.
func (h *Handler) sendConfirmation(ctx context.Context, l *store.List, a address.Address, action string, req Request) error {
	tok, err := newConfirmToken()
	if err != nil {
		return err
	}
	now := h.o.Now()
	c := store.Confirmation{ListID: l.ID, Address: a.String(), Action: action, RequestedBy: req.Requester,
		MessageID: req.MessageID, Source: req.Evidence.Source, CreatedAt: now, ExpiresAt: now.Add(h.o.ConfirmTTL)}
	if err := h.store.CreateConfirmation(ctx, tok, c); err != nil {
		return err
	}
	replyTo := l.Name + "-confirm+" + tok + "@" + h.o.ListHost
	d := confirmData{Action: action, Address: a.String(), Title: l.Title, List: l.Name, RequestedBy: req.Requester,
		MessageID: req.MessageID, Expires: stamp(c.ExpiresAt), URL: h.o.BaseURL + "/confirm/" + tok, ReplyTo: replyTo,
		CommandAddress: h.commandAddress(), Token: tok, ListAddress: l.Name + "@" + h.o.ListHost, Contact: h.o.Contact}
	var body strings.Builder
	if err := h.confirm.Execute(&body, d); err != nil {
		return fault.Wrap(fault.Internal, err, "template inbound/confirm.txt: %v", err)
	}
	subject := "Confirm: " + action + " " + a.String() + " to " + l.Title + " (confirm " + tok + ")"
	if action == "unsubscribe" {
		subject = "Confirm: unsubscribe " + a.String() + " from " + l.Title + " (confirm " + tok + ")"
	}
	msg, err := h.compose(mailHeader{from: h.listFrom(l), to: a.String(), subject: subject, replyTo: replyTo,
		inReplyTo: req.MessageID, references: req.References}, body.String())
	if err != nil {
		return err
	}
	_, err = h.sendCapped(ctx, l.Name+"-bounces@"+h.o.ListHost, a.String(), msg)
	return err
}

// listFrom is the From of a list's mail: the list's own, else its request address.
func (h *Handler) listFrom(l *store.List) string {
	if l.FromAddress != "" {
		if f, err := render.FormatMailbox(l.FromName, l.FromAddress); err == nil {
			return f
		}
	}
	f, _ := render.FormatMailbox(l.Title, l.Name+"-request@"+h.o.ListHost)
	return f
}

// replyData feeds templates/inbound/reply.txt.
type replyData struct {
	Results     []line
	Stopped     bool
	Host, Owner string
	Date        string
}

// answer sends the transcript of a command mail to its sender. Mail to a
// list's own addresses is answered from the list; mail to majordomo@ from
// majordomo@.
func (h *Handler) answer(ctx context.Context, m *Message, list string, to address.Address, results []line, stopped bool) (bool, error) {
	owner := h.o.Owner
	if owner == "" {
		owner = "postmaster@" + h.o.ListHost
	}
	var body strings.Builder
	if err := h.reply.Execute(&body, replyData{Results: results, Stopped: stopped, Host: h.o.ListHost, Owner: owner,
		Date: m.Header.Get("Date")}); err != nil {
		return false, fault.Wrap(fault.Internal, err, "template inbound/reply.txt: %v", err)
	}
	subject := "Majordomo results"
	if m.Subject != "" {
		subject = "Re: " + strings.TrimPrefix(m.Subject, "Re: ")
	}
	from, _ := render.FormatMailbox("Majordomo", h.commandAddress())
	envelope := "mailer-bounces@" + h.o.ListHost
	if list != "" {
		l, err := h.store.GetList(ctx, list)
		if err != nil {
			return false, err
		}
		from, envelope = h.listFrom(l), l.Name+"-bounces@"+h.o.ListHost
	}
	msg, err := h.compose(mailHeader{from: from, to: to.String(), subject: subject, inReplyTo: m.MessageID, references: m.References}, body.String())
	if err != nil {
		return false, err
	}
	return h.sendCapped(ctx, envelope, to.String(), msg)
}

// sendCapped sends unless the answer caps say no: per recipient and in all,
// per hour. The caps are counted in the database, so they hold across the
// short-lived `mailer receive` processes.
func (h *Handler) sendCapped(ctx context.Context, envelope, to string, msg []byte) (bool, error) {
	hourAgo := h.o.Now().Add(-time.Hour)
	if h.o.RepliesPerSenderHour > 0 {
		n, err := h.store.RepliesSince(ctx, to, hourAgo)
		if err != nil {
			return false, err
		}
		if n >= h.o.RepliesPerSenderHour {
			h.o.Logger.Warn("answer not sent: per-address cap reached", "to", to, "cap", h.o.RepliesPerSenderHour)
			return false, nil
		}
	}
	if h.o.RepliesPerHour > 0 {
		n, err := h.store.RepliesSince(ctx, "", hourAgo)
		if err != nil {
			return false, err
		}
		if n >= h.o.RepliesPerHour {
			h.o.Logger.Warn("answer not sent: hourly cap reached", "to", to, "cap", h.o.RepliesPerHour)
			return false, nil
		}
	}
	if err := h.out.Send(ctx, envelope, to, msg); err != nil {
		return false, fault.Wrap(fault.Unavailable, err, "send answer to %s: %v", to, err)
	}
	return true, h.store.RecordReply(ctx, to)
}

type mailHeader struct {
	from, to, subject, replyTo, inReplyTo, references string
}

// compose builds a plain-text answer with the headers RFC 3834 asks of
// automatic responses, and our loop marker.
func (h *Handler) compose(mh mailHeader, body string) ([]byte, error) {
	for _, v := range []string{mh.from, mh.to, mh.subject, mh.replyTo, mh.inReplyTo, mh.references} {
		if strings.ContainsAny(v, "\r\n") {
			return nil, fault.Errorf(fault.Invalid, "line break in a header value")
		}
	}
	id, err := render.NewMessageID(h.o.ListHost)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	hdr := func(name, value string) {
		if value != "" {
			b.WriteString(render.FoldHeader(name, value))
		}
	}
	hdr("From", mh.from)
	hdr("To", mh.to)
	hdr("Subject", render.EncodeWords(mh.subject))
	hdr("Date", h.o.Now().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	hdr("Message-ID", "<"+id+">")
	hdr("Reply-To", mh.replyTo)
	hdr("In-Reply-To", mh.inReplyTo)
	hdr("References", mh.references)
	hdr("Auto-Submitted", "auto-replied")
	hdr("X-Loop", h.loopMark())
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	b.Write(qpBody(body))
	return []byte(b.String()), nil
}

func qpBody(s string) []byte {
	return render.EncodeQP(s)
}
