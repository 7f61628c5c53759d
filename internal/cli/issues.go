package cli

import (
	"context"

	"mailer/internal/sending"
)

// issueJob is an issue ready to render for its list, with the database
// opened for it.
type issueJob struct{ *sending.Job }

// openIssue loads config and database, reads the issue named name and
// finds its list: listFlag, else the issue's list:, else default_list.
func openIssue(ctx context.Context, d *Deps, name, listFlag string) (*issueJob, error) {
	cfg, err := d.Config()
	if err != nil {
		return nil, err
	}
	db, err := d.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	job, err := sending.Open(ctx, cfg, db, name, listFlag, d.Now)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &issueJob{job}, nil
}

func (j *issueJob) close() { j.DB.Close() }

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
