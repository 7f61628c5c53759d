package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"mailer/internal/config"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// InitOptions are the inputs of `mailer init`.
type InitOptions struct {
	Deps   *Deps
	Dir    string
	Params config.InitParams
}

func newCmdInit(d *Deps, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{Deps: d, Params: config.InitParams{
		Database: "mailer.db", IssuesDir: "issues", Transport: "maildir:maildir",
	}}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create a config file, a fresh secret and the database",
		Long: `init writes DIR/mailer.toml (DIR defaults to the current directory, or the
directory of --config) with a freshly generated secret, creates the database
and applies the schema, and makes the issues directory. An existing config
file is never overwritten: its secret signs links already sent.`,
		Example: `  mailer init ./news --base-url https://lists.example.org --list-host lists.example.org \
      --owner editor@example.org --contact "Example Org, 1 Main St, Springfield"`,
		Args: rangeArgs(0, 1, "at most one directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return initRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Params.BaseURL, "base-url", "http://localhost:8080", "public URL of mailer's web pages")
	f.StringVar(&opts.Params.ListHost, "list-host", "lists.example.org", "domain of the list addresses")
	f.StringVar(&opts.Params.Owner, "owner", "", "address of the person who runs the lists")
	f.StringVar(&opts.Params.Contact, "contact", "", "postal address or contact line for footers")
	f.StringVar(&opts.Params.DefaultList, "default-list", "", "list an issue goes to when it names none")
	f.StringVar(&opts.Params.Transport, "transport", opts.Params.Transport, `"smtp" or "maildir:PATH"`)
	f.StringVar(&opts.Params.Database, "database", opts.Params.Database, "SQLite file (relative to the config) or a postgres:// URL of an existing database")
	return cmd
}

func initRun(ctx context.Context, opts *InitOptions) error {
	d := opts.Deps
	path := d.ConfigPath()
	if opts.Dir != "" {
		path = filepath.Join(opts.Dir, config.DefaultPath)
	}
	if _, err := os.Stat(path); err == nil {
		return fault.Errorf(fault.Conflict, "%s already exists; not overwritten (its secret signs links already sent)", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fault.Coded(fault.Invalid, err)
	}
	body, err := config.Starter(opts.Params, d.Now())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fault.Wrap(fault.Invalid, err, "create %s", filepath.Dir(path))
	}
	// 0600: the file holds the link-signing secret and maybe an SMTP password.
	if err := os.WriteFile(path, body, 0o600); err != nil {
		return fault.Wrap(fault.Invalid, err, "write %s", path)
	}
	cfg, err := config.Load(path, d.Getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabasePath(), store.Options{Create: true})
	if err != nil {
		return err
	}
	defer db.Close()
	version, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	issues := cfg.Resolve(cfg.IssuesDir)
	if err := os.MkdirAll(issues, 0o755); err != nil {
		return fault.Wrap(fault.Invalid, err, "create %s", issues)
	}
	fmt.Fprintf(d.Out, "Wrote %s (with a new secret; keep the file private)\n", path)
	fmt.Fprintf(d.Out, "Created database %s (schema version %d)\n", db.Path(), version)
	fmt.Fprintf(d.Out, "Issues go in %s\n\n", issues)
	fmt.Fprintf(d.Out, "Next: mailer --config %s lists create NAME --title \"...\" --from \"Name <you@%s>\"\n", path, cfg.ListHost)
	return nil
}
