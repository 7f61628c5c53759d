package cli

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/spf13/cobra"

	"mailer/internal/fault"
	"mailer/internal/importing"
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
	Status      string
}

func newCmdSubscribersImport(d *Deps, runF func(context.Context, *SubscribersImportOptions) error) *cobra.Command {
	opts := &SubscribersImportOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "import LIST FILE",
		Short: "Add members from a file (CSV, or the exports of Mailchimp, Substack, Mailman, listmonk, ...)",
		Long: `import reads a member file ("-" is standard input) and applies it in one
transaction. Columns are found by their header names (email or address,
name, status); a file without a header is address[,name], one member a
line, or "Name <address>" lines as Mailman writes them. mailer's own
export, Postorius' Subscribers.csv, "mailman members" and the exports of
listmonk, Mailchimp (its file name or UNSUB_TIME/CLEAN_TIME tell the
status), Substack, Buttondown, Ghost, Kit, beehiiv, Sendy and MailerLite
import as they are, each tool's status words mapped to mailer's (see the
README, "Importing from other tools"). A status mailer does not know is a
bad line, never active; --status STATUS imports a whole file as STATUS.

If any line is bad, nothing is imported and every bad line is listed as
FILE:LINE: reason (exit 1); --skip-invalid imports the others. --dry-run
shows what would happen and changes nothing.

Nobody who unsubscribed, bounced, complained or was disabled here is made active: a
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
	cmd.Flags().StringVar(&opts.Status, "status", "", "import everyone in the file as this status (unsubscribed, bounced, complained, disabled, pending); a row the file marks as further from mailable keeps its own")
	return cmd
}

func subscribersImportRun(ctx context.Context, opts *SubscribersImportOptions) error {
	d := opts.Deps
	plan, err := readImport(d.In, opts)
	var bad *importing.BadLinesError
	if errors.As(err, &bad) {
		if opts.JSON {
			writeJSON(d.Out, bad.Report)
		}
		bad.Report.WriteInvalid(d.ErrOut)
		if bad.Good == 0 {
			return fault.Errorf(fault.Invalid, "no line of %s could be read as a member (%s); nothing imported", opts.File, bad.Report.Format)
		}
		return fault.Errorf(fault.Invalid, "%d bad line(s) in %s; nothing imported (fix them, or --skip-invalid to import the other %d)",
			len(bad.Lines), opts.File, bad.Good)
	}
	if err != nil {
		return err
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
	rep, err := plan.Apply(ctx, db, l)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(d.Out, rep)
	}
	rep.WriteInvalid(d.ErrOut)
	rep.WriteSummary(d.Out, opts.List)
	return nil
}

// readImport reads the file named on the command line ("-" is standard
// input) into a plan.
func readImport(stdin io.Reader, opts *SubscribersImportOptions) (*importing.Plan, error) {
	var status store.Status
	if opts.Status != "" {
		st, err := store.ParseStatus(opts.Status)
		if err != nil {
			return nil, err
		}
		status = st
	}
	in := stdin
	if opts.File != "-" {
		fh, err := os.Open(opts.File)
		if err != nil {
			return nil, fault.Wrap(fault.Invalid, err, "cannot read %s", opts.File)
		}
		defer fh.Close()
		in = fh
	}
	return importing.Read(in, importing.Options{Name: opts.File, SkipInvalid: opts.SkipInvalid, DryRun: opts.DryRun, Status: status,
		Evidence: opts.Deps.adminEvidence(store.SourceImport, "")})
}
