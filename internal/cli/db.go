package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"mailer/internal/store"
)

func newCmdDB(d *Deps) *cobra.Command {
	return group("db", "Copy the database to PostgreSQL or back, and back it up",
		"  mailer db copy --to postgres://mailer@db.example.org/mailer\n  mailer db backup /var/backups/mailer.db",
		newCmdDBCopy(d, nil), newCmdDBBackup(d, nil))
}

// DBCopyOptions are the inputs of `mailer db copy`.
type DBCopyOptions struct {
	Deps *Deps
	To   string
	JSON bool
}

func newCmdDBCopy(d *Deps, runF func(context.Context, *DBCopyOptions) error) *cobra.Command {
	opts := &DBCopyOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "copy --to DATABASE",
		Short: "Copy everything into another database, SQLite or PostgreSQL",
		Long: `copy moves an installation: lists, members, the audit log, sends and their
delivery records, bounce scores, schedules and the archive, keeping every id,
into DATABASE (a postgres:// URL of an existing, empty database, or a new
SQLite file), in one transaction. It then compares every table's row count
and checksum in both and prints them. Stop mailer serve and sends first;
afterwards point database in the config at the copy.`,
		Example: "  mailer db copy --to postgres://mailer@db.example.org/mailer?sslmode=verify-full\n  mailer db copy --to /var/lib/mailer/mailer.db",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.To == "" {
				return usageErrorf("db copy: give the destination with --to")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return dbCopyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.To, "to", "", "destination: postgres:// URL or a new SQLite file")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the tables' counts and checksums as JSON")
	return cmd
}

func dbCopyRun(ctx context.Context, opts *DBCopyOptions) error {
	src, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	to := opts.To
	if !store.IsURL(to) {
		if to, err = filepath.Abs(to); err != nil {
			return err
		}
	}
	dst, err := store.Open(ctx, to, store.Options{Create: true})
	if err != nil {
		return err
	}
	defer dst.Close()
	sums, err := src.CopyTo(ctx, dst)
	if err != nil {
		return err
	}
	return printSums(opts.Deps, opts.JSON, sums, fmt.Sprintf("Copied %s to %s; every table checked. Point database in the config (or MAILER_DATABASE) at it to use it.", src.Path(), dst.Path()))
}

// DBBackupOptions are the inputs of `mailer db backup`.
type DBBackupOptions struct {
	Deps *Deps
	File string
	JSON bool
}

func newCmdDBBackup(d *Deps, runF func(context.Context, *DBBackupOptions) error) *cobra.Command {
	opts := &DBBackupOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Back up a SQLite database while mailer runs",
		Long: `backup writes a consistent copy of the SQLite database to FILE (mode 0600)
with SQLite's online backup API, while serve and sends go on, then checks
the copy table by table. FILE must not exist. For PostgreSQL use pg_dump.`,
		Example: "  mailer db backup /var/backups/mailer-$(date +%F).db",
		Args:    exactArgs(1, "the backup file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return dbBackupRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the tables' counts and checksums as JSON")
	return cmd
}

func dbBackupRun(ctx context.Context, opts *DBBackupOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	sums, err := db.Backup(ctx, opts.File)
	if err != nil {
		return err
	}
	return printSums(opts.Deps, opts.JSON, sums, fmt.Sprintf("Backed up %s to %s; every table checked.", db.Path(), opts.File))
}

func printSums(d *Deps, asJSON bool, sums []store.TableSum, done string) error {
	if asJSON {
		return writeJSON(d.Out, sums)
	}
	tw := newTable(d)
	fmt.Fprintln(tw, "TABLE\tROWS\tSHA-256")
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%.16s\n", s.Table, s.Rows, s.Sum)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(d.Out, done)
	return nil
}
