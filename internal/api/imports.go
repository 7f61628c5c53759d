package api

import (
	"errors"
	"net/http"

	"mailer/internal/fault"
	"mailer/internal/importing"
	"mailer/internal/roster"
	"mailer/internal/store"
)

// importMembers is POST /api/v1/lists/{list}/import: a member file as the
// body (text/csv; any format `subscribers import` reads), read as it
// streams in and applied all or nothing, with the same report. ?status=
// is --status, ?skip_invalid=true --skip-invalid, ?dry_run=true --dry-run;
// ?name= names the file in the report and the audit log.
func importMembers(c *call) (any, error) {
	q := c.r.URL.Query()
	opts := importing.Options{Name: q.Get("name"), Evidence: c.evidence(store.SourceImport, "")}
	if opts.Name == "" {
		opts.Name = "upload"
	}
	if raw := q.Get("status"); raw != "" {
		st, err := store.ParseStatus(raw)
		if err != nil {
			return nil, err
		}
		opts.Status = st
	}
	var err error
	if opts.SkipInvalid, err = boolQuery(c, "skip_invalid"); err != nil {
		return nil, err
	}
	if opts.DryRun, err = boolQuery(c, "dry_run"); err != nil {
		return nil, err
	}
	body := http.MaxBytesReader(c.w, c.r.Body, c.h.o.MaxUpload)
	plan, err := importing.Read(body, opts)
	var big *http.MaxBytesError
	var bad *importing.BadLinesError
	switch {
	case errors.As(err, &big):
		return nil, tooLarge{big.Limit}
	case errors.As(err, &bad) && bad.Good == 0:
		return nil, fault.Explain(fault.Invalid, err, "no line of %s could be read as a member (%s); nothing imported", opts.Name, bad.Report.Format)
	case errors.As(err, &bad):
		return nil, fault.Explain(fault.Invalid, err, "%d bad line(s) in %s; nothing imported (fix them, or ?skip_invalid=true to import the other %d)",
			len(bad.Lines), opts.Name, bad.Good)
	case err != nil:
		return nil, err
	}
	rep, err := plan.Apply(c.ctx, c.h.o.DB, c.list)
	if err != nil {
		return nil, err
	}
	return reportOf(rep), nil
}

// reportOf gives a report's lists as [] rather than null.
func reportOf(r importing.Report) *importing.Report {
	for _, ps := range []*[]roster.Problem{&r.Invalid, &r.Repeats} {
		if *ps == nil {
			*ps = []roster.Problem{}
		}
	}
	if r.ImportReport != nil && r.Skipped == nil {
		r.Skipped = []store.ImportProblem{}
	}
	return &r
}
