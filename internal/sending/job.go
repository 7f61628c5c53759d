// Package sending is the send workflow — plan, start or resume, hold the
// lease, recover in-flight rows, deliver, finish, archive — used alike by
// `mailer send` in a terminal and by the daemon. It reports what it does
// through Progress, which each of them implements, and never prints.
package sending

import (
	"context"
	"time"

	"mailer/internal/address"
	"mailer/internal/config"
	"mailer/internal/fault"
	"mailer/internal/issue"
	"mailer/internal/render"
	"mailer/internal/store"
	"mailer/internal/token"
	"mailer/templates"
)

// Job is an issue with everything needed to render it for its list.
type Job struct {
	Config   *config.Config
	DB       *store.DB // the caller's: Job never closes it
	Issue    *issue.Issue
	List     *store.List
	Renderer *render.Renderer
	Signer   *token.Signer
}

// Open reads the issue named name from issues_dir and finds its list:
// listName, else the issue's list:, else default_list.
func Open(ctx context.Context, cfg *config.Config, db *store.DB, name, listName string, now func() time.Time) (*Job, error) {
	path, err := issue.Resolve(cfg.Resolve(cfg.IssuesDir), name)
	if err != nil {
		return nil, err
	}
	iss, err := issue.Load(path)
	if err != nil {
		return nil, err
	}
	listName = firstNonEmpty(listName, iss.List, cfg.DefaultList)
	if listName == "" {
		return nil, fault.Errorf(fault.Invalid, "%s names no list: pass --list, add list: to its front matter, or set default_list in %s", path, cfg.Path)
	}
	signer, err := token.NewSigner(cfg.Secret)
	if err != nil {
		return nil, err
	}
	l, err := db.GetList(ctx, listName)
	if err != nil {
		return nil, err
	}
	if l.TemplatesDir != "" {
		if err := templates.CheckList(l.Name, l.TemplatesDir); err != nil {
			return nil, fault.Explain(fault.Invalid, err, "%v (mailer lists edit %s --templates DIR)", err, l.Name)
		}
	}
	r, err := render.New(render.Options{
		BaseURL: string(cfg.BaseURL), ListHost: string(cfg.ListHost), Contact: cfg.Contact,
		Templates: cfg.Looks().For(l.TemplatesDir), Now: now,
	})
	if err != nil {
		return nil, err
	}
	return &Job{Config: cfg, DB: db, Issue: iss, List: l, Renderer: r, Signer: signer}, nil
}

// RenderList is what the renderer needs of a store list.
func RenderList(l *store.List) render.List {
	return render.List{ID: l.ID, Name: l.Name, Title: l.Title, FromAddress: l.FromAddress, FromName: l.FromName, SubjectPrefix: l.SubjectPrefix}
}

// Render renders the issue for its list; a list without a From address
// cannot send mail.
func (j *Job) Render() (*render.Rendered, error) {
	if j.List.FromAddress == "" {
		return nil, fault.Errorf(fault.Invalid, "list %s has no From address: set one with `mailer lists edit %s --from \"Name <address>\"`", j.List.Name, j.List.Name)
	}
	rd, err := j.Renderer.Render(j.Issue, RenderList(j.List))
	if err != nil || j.Issue.Images != "inline" || len(rd.Images) == 0 {
		return rd, err
	}
	images, err := j.Assets(rd.Images)
	if err != nil {
		return rd, nil // linked: NewPlan refuses the issue with the reason
	}
	return j.Renderer.RenderInline(j.Issue, RenderList(j.List), Inlinable(images))
}

// RecipientFor builds the personal values for addr. A member gets a working
// unsubscribe token; anyone else gets a token that the web refuses, since
// there is no membership for it to end. The bool reports membership.
func (j *Job) RecipientFor(ctx context.Context, addr string) (render.Recipient, bool, error) {
	a, err := address.Parse(addr)
	if err != nil {
		return render.Recipient{}, false, err
	}
	m, err := j.DB.GetMember(ctx, j.List, a.String())
	member := err == nil
	if err != nil && fault.CodeOf(err) != fault.NotFound {
		return render.Recipient{}, false, err
	}
	r := render.Recipient{Address: a.String(), Name: a.Name}
	var sub int64
	if member {
		sub, r.Name = m.SubscriberID, firstNonEmpty(a.Name, m.Name)
	}
	r.Token = j.Signer.Make(token.Membership{ListID: j.List.ID, SubscriberID: sub})
	return r, member, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
