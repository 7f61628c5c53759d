package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// MigrateOptions are the inputs of `mailer migrate`.
type MigrateOptions struct {
	Deps *Deps
}

func newCmdMigrate(d *Deps, runF func(context.Context, *MigrateOptions) error) *cobra.Command {
	opts := &MigrateOptions{Deps: d}
	return &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database's schema up to this mailer's version",
		Long: `migrate applies the schema changes this mailer has and the database lacks,
each in its own transaction, and prints the version. Every command does this
when it opens the database; run it on its own after an upgrade, before the
services start (on PostgreSQL, one node at a time is enough: migrators take
turns). A database newer than this mailer is refused, never changed.`,
		Example: "  mailer migrate",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return migrateRun(cmd.Context(), opts)
		},
	}
}

func migrateRun(ctx context.Context, opts *MigrateOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.Deps.Out, "Database %s is at schema version %d, this mailer's.\n", db.Path(), v)
	return nil
}
