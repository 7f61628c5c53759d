package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"mailer/internal/roster"
	"mailer/internal/store"
)

// SubscribersLsOptions are the inputs of `mailer subscribers ls`.
type SubscribersLsOptions struct {
	Deps   *Deps
	List   string
	Status store.Status
	JSON   bool
}

// statusFlag parses --status into opts, or leaves it empty for "all".
func statusFlag(raw string, into *store.Status) error {
	if raw == "" {
		return nil
	}
	s, err := store.ParseStatus(raw)
	if err != nil {
		return &usageError{err}
	}
	*into = s
	return nil
}

func newCmdSubscribersLs(d *Deps, runF func(context.Context, *SubscribersLsOptions) error) *cobra.Command {
	opts := &SubscribersLsOptions{Deps: d}
	var status string
	cmd := &cobra.Command{
		Use:     "ls LIST",
		Aliases: []string{"list"},
		Short:   "List a list's members",
		Example: "  mailer subscribers ls bpf-updates\n  mailer subscribers ls bpf-updates --status pending --json",
		Args:    exactArgs(1, "one list name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.List = args[0]
			if err := statusFlag(status, &opts.Status); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return subscribersLsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only members with this status: active, pending, unsubscribed, bounced, disabled")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func subscribersLsRun(ctx context.Context, opts *SubscribersLsOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := db.GetList(ctx, opts.List)
	if err != nil {
		return err
	}
	members := []*store.Member{}
	for m, err := range db.Members(ctx, l, opts.Status) {
		if err != nil {
			return err
		}
		members = append(members, m)
	}
	if opts.JSON {
		return writeJSON(opts.Deps.Out, members)
	}
	if len(members) == 0 {
		fmt.Fprintf(opts.Deps.Out, "No members of %s%s.\n", opts.List, statusSuffix(opts.Status))
		return nil
	}
	tw := newTable(opts.Deps)
	fmt.Fprintln(tw, "ADDRESS\tNAME\tSTATUS\tSOURCE\tSINCE")
	for _, m := range members {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Address, orDash(m.Name), m.Status, m.Source, when(m.UpdatedAt))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.Deps.Out, "%d member(s)%s\n", len(members), statusSuffix(opts.Status))
	return nil
}

func statusSuffix(s store.Status) string {
	if s == "" {
		return ""
	}
	return " with status " + string(s)
}

// SubscribersExportOptions are the inputs of `mailer subscribers export`.
type SubscribersExportOptions struct {
	Deps   *Deps
	List   string
	Status store.Status
}

func newCmdSubscribersExport(d *Deps, runF func(context.Context, *SubscribersExportOptions) error) *cobra.Command {
	opts := &SubscribersExportOptions{Deps: d}
	var status string
	cmd := &cobra.Command{
		Use:   "export LIST",
		Short: "Write a list's members as CSV",
		Long: `export writes email,name,status,source,subscribed_at,updated_at rows to
standard output, with that header; import reads the file back as it is.`,
		Example: "  mailer subscribers export bpf-updates --status active > readers.csv",
		Args:    exactArgs(1, "one list name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.List = args[0]
			if err := statusFlag(status, &opts.Status); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return subscribersExportRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only members with this status")
	return cmd
}

func subscribersExportRun(ctx context.Context, opts *SubscribersExportOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := db.GetList(ctx, opts.List)
	if err != nil {
		return err
	}
	return roster.WriteExport(opts.Deps.Out, db.Members(ctx, l, opts.Status))
}
