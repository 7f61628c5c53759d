package cli

import (
	"context"

	"mailer/internal/address"
	"mailer/internal/config"
	"mailer/internal/fault"
	"mailer/internal/issue"
	"mailer/internal/render"
	"mailer/internal/store"
	"mailer/internal/token"
	"mailer/templates"
)

// issueJob is an issue with everything needed to render it for its list.
type issueJob struct {
	cfg      *config.Config
	db       *store.DB
	issue    *issue.Issue
	list     *store.List
	renderer *render.Renderer
	signer   *token.Signer
}

// openIssue loads config and database, reads the issue named name and
// finds its list: listFlag, else the issue's list:, else default_list.
func openIssue(ctx context.Context, d *Deps, name, listFlag string) (*issueJob, error) {
	cfg, err := d.Config()
	if err != nil {
		return nil, err
	}
	path, err := issue.Resolve(cfg.Resolve(cfg.IssuesDir), name)
	if err != nil {
		return nil, err
	}
	iss, err := issue.Load(path)
	if err != nil {
		return nil, err
	}
	listName := firstNonEmpty(listFlag, iss.List, cfg.DefaultList)
	if listName == "" {
		return nil, fault.Errorf(fault.Invalid, "%s names no list: pass --list, add list: to its front matter, or set default_list in %s", path, cfg.Path)
	}
	signer, err := token.NewSigner(cfg.Secret)
	if err != nil {
		return nil, err
	}
	r, err := render.New(render.Options{
		BaseURL: string(cfg.BaseURL), ListHost: string(cfg.ListHost), Contact: cfg.Contact,
		Templates: templates.Overlay(cfg.Resolve(cfg.TemplatesDir)), Now: d.Now,
	})
	if err != nil {
		return nil, err
	}
	db, err := d.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	l, err := db.GetList(ctx, listName)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &issueJob{cfg: cfg, db: db, issue: iss, list: l, renderer: r, signer: signer}, nil
}

func (j *issueJob) close() { j.db.Close() }

// renderList is what the renderer needs of a store list.
func renderList(l *store.List) render.List {
	return render.List{ID: l.ID, Name: l.Name, Title: l.Title, FromAddress: l.FromAddress, FromName: l.FromName, SubjectPrefix: l.SubjectPrefix}
}

// render renders the issue for its list; a list without a From address
// cannot send mail.
func (j *issueJob) render() (*render.Rendered, error) {
	if j.list.FromAddress == "" {
		return nil, fault.Errorf(fault.Invalid, "list %s has no From address: set one with `mailer lists edit %s --from \"Name <address>\"`", j.list.Name, j.list.Name)
	}
	return j.renderer.Render(j.issue, renderList(j.list))
}

// recipientFor builds the personal values for addr. A member gets a working
// unsubscribe token; anyone else gets a token that the web refuses, since
// there is no membership for it to end. The bool reports membership.
func (j *issueJob) recipientFor(ctx context.Context, addr string) (render.Recipient, bool, error) {
	a, err := address.Parse(addr)
	if err != nil {
		return render.Recipient{}, false, err
	}
	m, err := j.db.GetMember(ctx, j.list.Name, a.String())
	member := err == nil
	if err != nil && fault.CodeOf(err) != fault.NotFound {
		return render.Recipient{}, false, err
	}
	r := render.Recipient{Address: a.String(), Name: a.Name}
	var sub int64
	if member {
		sub, r.Name = m.SubscriberID, firstNonEmpty(a.Name, m.Name)
	}
	r.Token = j.signer.Make(token.Membership{ListID: j.list.ID, SubscriberID: sub})
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
