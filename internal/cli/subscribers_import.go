package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"mailer/internal/fault"
	"mailer/internal/roster"
	"mailer/internal/store"
)

// SubscribersImportOptions are the inputs of `mailer subscribers import`.
type SubscribersImportOptions struct {
	Deps        *Deps
	List        string
	File        string
	SkipInvalid bool
	DryRun      bool
	JSON        bool
}

func newCmdSubscribersImport(d *Deps, runF func(context.Context, *SubscribersImportOptions) error) *cobra.Command {
	opts := &SubscribersImportOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "import LIST FILE",
		Short: "Add members from a file (CSV, or Mailman's and listmonk's exports)",
		Long: `import reads a member file ("-" is standard input) and applies it in one
transaction. Columns are found by their header names (email or address,
name, status); a file without a header is address[,name], one member a
line, or "Name <address>" lines as Mailman writes them. mailer's own
export, Postorius' Subscribers.csv, "mailman members" and listmonk's export
import as they are.

If any line is bad, nothing is imported and every bad line is listed as
FILE:LINE: reason (exit 1); --skip-invalid imports the others. --dry-run
shows what would happen and changes nothing.

Nobody who unsubscribed, bounced or was disabled here is made active: a
list you hold is no consent to mail them again. People the file marks as
unsubscribed, bounced or disabled who are new here are recorded so, and a
later add needs --force.`,
		Example: "  mailer subscribers import bpf-updates readers.csv --dry-run\n  mailer subscribers import bpf-updates listmonk-export.csv --skip-invalid",
		Args:    exactArgs(2, "a list name and a file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.List, opts.File = args[0], args[1]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return subscribersImportRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.SkipInvalid, "skip-invalid", false, "import the good lines when some are bad")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "report what would happen; change nothing")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	return cmd
}

// importResult is the report of `subscribers import --json`.
type importResult struct {
	File    string           `json:"file"`
	Format  string           `json:"format"`
	Invalid []roster.Problem `json:"invalid"`
	Repeats []roster.Problem `json:"repeats"`
	*store.ImportReport
}

func subscribersImportRun(ctx context.Context, opts *SubscribersImportOptions) error {
	d := opts.Deps
	f, err := readRoster(d.In, opts.File)
	if err != nil {
		return err
	}
	res := importResult{File: opts.File, Format: f.Format, Invalid: append([]roster.Problem{}, f.Problems...),
		Repeats: append([]roster.Problem{}, f.Repeats...)}
	if len(f.Problems) > 0 && !opts.SkipInvalid {
		if opts.JSON {
			writeJSON(d.Out, res)
		}
		printProblems(d.ErrOut, opts.File, f.Problems)
		return fault.Errorf(fault.Invalid, "%d bad line(s) in %s; nothing imported (fix them, or --skip-invalid to import the other %d)",
			len(f.Problems), opts.File, len(f.Rows))
	}
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := db.GetList(ctx, opts.List)
	if err != nil {
		return err
	}
	rep, err := db.ApplyImport(ctx, l, f.Rows, d.adminEvidence(store.SourceImport, "imported from "+opts.File), opts.DryRun)
	if err != nil {
		return err
	}
	res.ImportReport = rep
	if opts.JSON {
		return writeJSON(d.Out, res)
	}
	printProblems(d.ErrOut, opts.File, f.Problems)
	printImport(d.Out, opts, res)
	return nil
}

func readRoster(stdin io.Reader, name string) (*roster.File, error) {
	in := stdin
	if name != "-" {
		fh, err := os.Open(name)
		if err != nil {
			return nil, fault.Wrap(fault.Invalid, err, "cannot read %s", name)
		}
		defer fh.Close()
		in = fh
	}
	f, err := roster.Read(in)
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "%s", name)
	}
	return f, nil
}

func printProblems(w io.Writer, file string, ps []roster.Problem) {
	for _, p := range ps {
		fmt.Fprintf(w, "%s:%d: %s\n", file, p.Line, p.Reason)
	}
}

func printImport(w io.Writer, opts *SubscribersImportOptions, res importResult) {
	verb := "Imported into"
	if res.DryRun {
		verb = "Dry run, nothing changed; importing would give"
	}
	fmt.Fprintf(w, "%s %s (%s, %s): %d added, %d already there, %d recorded as not to be mailed, %d skipped, %d bad line(s) left out\n",
		verb, opts.List, opts.File, res.Format, res.Added, res.Already, res.Suppressed, len(res.Skipped), len(res.Invalid))
	for _, p := range res.Skipped {
		fmt.Fprintf(w, "  %s:%d: skipped: %s\n", opts.File, p.Line, p.Reason)
	}
	for _, p := range res.Repeats {
		fmt.Fprintf(w, "  %s:%d: %s\n", opts.File, p.Line, p.Reason)
	}
}
