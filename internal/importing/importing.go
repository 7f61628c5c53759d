// Package importing is the import of a member file into a list, the same
// for every edge (the command line, an upload over HTTP): read the file
// and check every line (Read), then apply it in one transaction (Apply),
// and report what was done (Report).
//
// Reading and applying are separate steps so that a file is refused
// before the database is touched, and so that other tools' formats can be
// read into the same Plan.
package importing

import (
	"context"
	"io"

	"mailer/internal/fault"
	"mailer/internal/roster"
	"mailer/internal/store"
)

// Options are the inputs of an import besides the file and the list.
type Options struct {
	// Name names the file in the report, in errors and in the audit log
	// ("imported from NAME"); "-" is what the command line calls its
	// standard input.
	Name string
	// SkipInvalid applies the good lines of a file that has bad ones;
	// without it one bad line refuses the whole file.
	SkipInvalid bool
	// DryRun reports what the import would do and changes nothing.
	DryRun bool
	// Status imports every row as at least this far from being mailed
	// (store.Unsubscribed for a file of people who left); "" takes what
	// the file says. A row the file marks as further keeps its own.
	Status store.Status
	// Evidence is who imports (Operator, or IP and UserAgent), for the
	// audit log. Source defaults to store.SourceImport and Reason to
	// "imported from NAME".
	Evidence store.Evidence
}

// Plan is a file read and checked, ready to be applied to a list.
type Plan struct {
	opts   Options
	format string
	rows   []roster.Row
	// invalid are the bad lines left out (only with SkipInvalid);
	// repeats the lines that name an address an earlier line named.
	invalid, repeats []roster.Problem
}

// Read reads a member file (see internal/roster for the formats). Only
// reading the input fails with a plain error, coded fault.Invalid; a file
// with bad lines, unless opts.SkipInvalid, fails with a *BadLinesError
// (errors.Is ErrBadLines) that lists them and carries the report so far.
func Read(r io.Reader, opts Options) (*Plan, error) {
	f, err := roster.ReadWith(r, roster.Hints{Name: opts.Name, Status: opts.Status})
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "%s", opts.Name)
	}

	p := &Plan{opts: opts, format: f.Format, rows: f.Rows,
		invalid: append([]roster.Problem{}, f.Problems...), repeats: append([]roster.Problem{}, f.Repeats...)}
	if len(p.invalid) > 0 && (!opts.SkipInvalid || len(p.rows) == 0) {
		// With no good line, --skip-invalid would import nothing and
		// say so as a success: the file was not understood.
		return nil, fault.Coded(fault.Invalid, &BadLinesError{Name: opts.Name, Lines: p.invalid, Good: len(p.rows), Report: p.report()})
	}
	return p, nil
}

// Apply applies the plan to l in one transaction: every row or, on a
// database error, none (store.ApplyImport decides each row). Nobody who
// left, bounced or was disabled here is made active.
func (p *Plan) Apply(ctx context.Context, db *store.DB, l *store.List) (Report, error) {
	ev := p.opts.Evidence
	if ev.Source == "" {
		ev.Source = store.SourceImport
	}
	if ev.Reason == "" {
		ev.Reason = "imported from " + p.opts.Name
	}
	applied, err := db.ApplyImport(ctx, l, p.rows, ev, p.opts.DryRun)
	if err != nil {
		return Report{}, err
	}
	rep := p.report()
	rep.ImportReport = applied
	return rep, nil
}

// Import reads r and applies it to l: Read, then Apply.
func Import(ctx context.Context, db *store.DB, l *store.List, r io.Reader, opts Options) (Report, error) {
	p, err := Read(r, opts)
	if err != nil {
		return Report{}, err
	}
	return p.Apply(ctx, db, l)
}

// report is what is known before the plan is applied.
func (p *Plan) report() Report {
	return Report{File: p.opts.Name, Format: p.format, Invalid: p.invalid, Repeats: p.repeats}
}
