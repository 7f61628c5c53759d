package cli

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"mailer/internal/bounces"
	"mailer/internal/store"
)

func newCmdBounces(d *Deps) *cobra.Command {
	return group("bounces", "Bounce scores of members", "  mailer bounces ls\n  mailer bounces ls bpf-updates --json",
		newCmdBouncesLs(d, nil))
}

// BouncesLsOptions are the inputs of `mailer bounces ls`.
type BouncesLsOptions struct {
	Deps *Deps
	List string
	JSON bool
}

func newCmdBouncesLs(d *Deps, runF func(context.Context, *BouncesLsOptions) error) *cobra.Command {
	opts := &BouncesLsOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "ls [LIST]",
		Short: "Show members with bounces: score, last reason and dates",
		Long: `ls shows every membership with a bounce score, or stopped by bounces. A hard
bounce counts 1, a soft one 0.5, at most one a day; bounce.threshold within
bounce.window stops mail (status bounced). A permanent refusal (5xx) while
sending counts as a hard bounce too.`,
		Example: "  mailer bounces ls\n  mailer bounces ls bpf-updates --json",
		Args:    rangeArgs(0, 1, "at most one list"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.List = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return bouncesLsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func bouncesLsRun(ctx context.Context, opts *BouncesLsOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := optionalList(ctx, db, opts.List)
	if err != nil {
		return err
	}
	bs, err := bounces.Listing(ctx, db, l)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.Deps.Out, bs)
	}
	if len(bs) == 0 {
		fmt.Fprintln(opts.Deps.Out, "No bounces.")
	} else {
		tw := newTable(opts.Deps)
		fmt.Fprintln(tw, "LIST\tADDRESS\tSTATUS\tSCORE\tSINCE\tLAST\tLAST REASON")
		for _, b := range bs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%s\t%s\t%s\n", b.List, b.Address, b.Status, b.Score, when(derefTime(b.FirstAt)), when(derefTime(b.LastAt)), b.LastReason)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return printComplaints(ctx, opts, db, l)
}

// printComplaints says how many spam complaints each list had, next to
// its bounces: members stopped with status complained.
func printComplaints(ctx context.Context, opts *BouncesLsOptions, db *store.DB, l *store.List) error {
	counts, err := db.ComplaintCounts(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(counts))
	for name := range counts {
		if l == nil || name == l.Name {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(opts.Deps.Out, "%s: %d spam complaint(s), those members stopped (status complained)\n", name, counts[name])
	}
	return nil
}

// SubscribersReactivateOptions are the inputs of `mailer subscribers reactivate`.
type SubscribersReactivateOptions struct {
	Deps    *Deps
	List    string
	Address string
}

func newCmdSubscribersReactivate(d *Deps, runF func(context.Context, *SubscribersReactivateOptions) error) *cobra.Command {
	opts := &SubscribersReactivateOptions{Deps: d}
	return &cobra.Command{
		Use:     "reactivate LIST ADDRESS",
		Short:   "Resume mail to a member stopped by bounces (or disabled)",
		Example: "  mailer subscribers reactivate bpf-updates alice@example.org",
		Args:    exactArgs(2, "a list name and an address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.List, opts.Address = args[0], args[1]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return subscribersReactivateRun(cmd.Context(), opts)
		},
	}
}

func subscribersReactivateRun(ctx context.Context, opts *SubscribersReactivateOptions) error {
	d := opts.Deps
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := db.GetList(ctx, opts.List)
	if err != nil {
		return err
	}
	m, err := bounces.Reactivate(ctx, db, l, opts.Address, d.adminEvidence(store.SourceAdmin, "reactivated"))
	if err != nil {
		return err
	}
	fmt.Fprintf(d.Out, "Reactivated %s on %s (bounce score cleared)\n", m.Address, l.Name)
	return nil
}
