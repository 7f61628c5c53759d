package bounces

import (
	"context"
	"io/fs"
	"strings"
	"text/template"

	"mailer/internal/fault"
	"mailer/internal/listaddr"
	"mailer/internal/mailout"
	"mailer/internal/store"
)

// Mailer composes and sends under the answer caps (package mailout).
type Mailer interface {
	Book() listaddr.Book
	Send(ctx context.Context, budget, envelope, to string, msg []byte) error
	Compose(h mailout.Header, body string) ([]byte, error)
	ListFrom(l *store.List) string
}

// OwnerNotice mails a list's owners (or, for a list without any, the site
// owner) when bounces stop mail to a member.
type OwnerNotice struct {
	mail      Mailer
	siteOwner string
	threshold float64
	notice    *template.Template
}

// NewOwnerNotice parses templates/bounces/notice.txt.
func NewOwnerNotice(m Mailer, siteOwner string, p store.BouncePolicy, templates fs.FS) (*OwnerNotice, error) {
	t, err := template.ParseFS(templates, "bounces/notice.txt")
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "template bounces/notice.txt")
	}
	return &OwnerNotice{mail: m, siteOwner: siteOwner, threshold: p.Threshold, notice: t}, nil
}

// NotifyBounced tells every owner. A reached answer cap is not an error:
// `mailer bounces ls` shows the member either way.
func (n *OwnerNotice) NotifyBounced(ctx context.Context, l *store.List, addr string, score float64, reason string) error {
	owners := l.Owners
	if len(owners) == 0 && n.siteOwner != "" {
		owners = []string{n.siteOwner}
	}
	book := n.mail.Book()
	var body strings.Builder
	if err := n.notice.Execute(&body, map[string]any{"Address": addr, "Title": l.Title, "List": l.Name, "Score": score,
		"Threshold": n.threshold, "Reason": reason, "Host": book.Host}); err != nil {
		return fault.Wrap(fault.Internal, err, "template bounces/notice.txt")
	}
	// Every owner is told even when mail to one of them fails: one full
	// mailbox must not keep the others from knowing. The first failure is
	// returned.
	var first error
	for _, o := range owners {
		if err := n.send(ctx, l, o, addr, body.String()); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (n *OwnerNotice) send(ctx context.Context, l *store.List, owner, addr, body string) error {
	msg, err := n.mail.Compose(mailout.Header{From: n.mail.ListFrom(l), To: owner,
		Subject: "Bounces stopped mail to " + addr + " on " + l.Name}, body)
	if err != nil {
		return err
	}
	if err := n.mail.Send(ctx, store.BudgetMail, n.mail.Book().Bounces(l.Name), owner, msg); err != nil && !mailout.Capped(err) {
		return err
	}
	return nil
}
