package bounces

import (
	"context"
	"io/fs"
	"strings"
	"text/template"

	"mailer/internal/fault"
	"mailer/internal/listaddr"
	"mailer/internal/store"
)

// Mailer tells a list's owners (package mailout).
type Mailer interface {
	Book() listaddr.Book
	ToOwners(ctx context.Context, l *store.List, siteOwner, subject, body string) error
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
	book := n.mail.Book()
	var body strings.Builder
	if err := n.notice.Execute(&body, map[string]any{"Address": addr, "Title": l.Title, "List": l.Name, "Score": score,
		"Threshold": n.threshold, "Reason": reason, "Host": book.Host}); err != nil {
		return fault.Wrap(fault.Internal, err, "template bounces/notice.txt")
	}
	// mailout tells every owner, even when mail to one of them fails.
	return n.mail.ToOwners(ctx, l, n.siteOwner, "Bounces stopped mail to "+addr+" on "+l.Name, body.String())
}
