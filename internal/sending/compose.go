package sending

import (
	"context"
	"sync/atomic"
	"time"

	"mailer/internal/address"
	"mailer/internal/delivery"
	"mailer/internal/dkimsign"
	"mailer/internal/render"
	"mailer/internal/store"
	"mailer/internal/token"
)

// What goes out: each reader's copy as it is composed and signed, and the
// issue in the archive once the send is finished.

// archive puts the sent issue in the list's public archive: the web
// version, without personal links, and its content for the feed.
func (p *Plan) archive(ctx context.Context, now func() time.Time) error {
	iss := p.Job.Issue
	if iss.NoArchive {
		return nil // archive: false
	}
	page, err := p.Job.Renderer.WebPage(iss, RenderList(p.Job.List))
	if err != nil {
		return err
	}
	content, err := p.Job.Renderer.Content(iss, RenderList(p.Job.List))
	if err != nil {
		return err
	}
	date := iss.Date
	if date.IsZero() {
		date = now()
	}
	return p.Job.DB.SaveArchive(ctx, p.Job.List.ID, store.ArchivedIssue{Slug: iss.Slug, Title: iss.Title, Summary: iss.Summary,
		Date: date, HTML: page, Content: content})
}

// composer personalises the prepared message for each job and, with
// DKIM, signs it there: in the worker's goroutine, ahead of the SMTP
// exchange, with the body's shared start hashed once for the whole send.
// The message is personalised behind room for the signature fields, which
// all take the same size in a send, so that they go in front without
// copying the message.
func (p *Plan) composer(sendID int64) delivery.Composer {
	list, book := p.Job.List, p.Job.Config.Book()
	// Gmail's Feedback Loop groups complaints by the Feedback-ID fields:
	// one value for the whole send.
	fid := render.FeedbackID(sendID, list.Name, render.MailIssue)
	tokens, msg := p.Job.Signer, p.Rendered.Message
	var dkim *dkimsign.Body
	if p.DKIM != nil {
		dkim = p.DKIM.ForBody(msg.SharedBody())
	}
	var room atomic.Int64 // the size of the signature fields, learnt from the first message
	return func(j delivery.Job, buf []byte) ([]byte, string, error) {
		tok := tokens.Make(token.Membership{ListID: list.ID, SubscriberID: j.SubscriberID})
		// The address goes out with its domain in A-labels (RFC 5890), so
		// that headers and envelope work where SMTPUTF8 is not offered.
		r := render.Recipient{Address: address.Wire(j.Address), Name: j.Name, Token: tok, MessageID: j.MessageID, FeedbackID: fid}
		from := book.VERP(list.Name, j.Address)
		if dkim == nil {
			out, err := msg.Personalise(buf, r)
			return out, from, err
		}
		at := int(room.Load())
		out, err := msg.Personalise(append(buf, make([]byte, at)...), r)
		if err != nil {
			return buf, from, err
		}
		signed, n, err := dkim.SignInPlace(out, at)
		if n != at {
			room.Store(int64(n))
		}
		return signed, from, err
	}
}

// Sign signs a message composed outside the queue (a test copy) as the
// send's messages are; without DKIM it is returned as it is.
func (p *Plan) Sign(msg []byte) ([]byte, error) {
	if p.DKIM == nil {
		return msg, nil
	}
	return p.DKIM.Sign(msg)
}
