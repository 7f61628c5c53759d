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

// NotifyBounced tells the owners. A reached answer cap is not an error:
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
	for _, o := range owners {
		msg, err := n.mail.Compose(mailout.Header{From: n.mail.ListFrom(l), To: o,
			Subject: "Bounces stopped mail to " + addr + " on " + l.Name}, body.String())
		if err != nil {
			return err
		}
		if err := n.mail.Send(ctx, store.BudgetMail, book.Bounces(l.Name), o, msg); err != nil && !mailout.Capped(err) {
			return err
		}
	}
	return nil
}
