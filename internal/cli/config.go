package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// ConfigOptions are the inputs of `mailer config`.
type ConfigOptions struct {
	Deps *Deps
	JSON bool
}

func newCmdConfig(d *Deps, runF func(context.Context, *ConfigOptions) error) *cobra.Command {
	opts := &ConfigOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration, secrets hidden",
		Long: `config prints the configuration mailer would use: the file's values with
MAILER_* environment overrides applied and defaults filled in. Secrets are
shown as (redacted).`,
		Example: `  mailer config
  MAILER_SMTP_HOST=relay.example.org mailer config --json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return configRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print key, value and environment variable as JSON")
	return cmd
}

func configRun(_ context.Context, opts *ConfigOptions) error {
	d := opts.Deps
	cfg, err := d.Config()
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(d.Out, map[string]any{"file": cfg.Path, "settings": cfg.Entries()})
	}
	fmt.Fprintf(d.Out, "# effective configuration from %s\n", cfg.Path)
	return cfg.WriteTOML(d.Out)
}

// newTable starts aligned columns for people.
func newTable(d *Deps) *tabwriter.Writer {
	return tabwriter.NewWriter(d.Out, 0, 4, 2, ' ', 0)
}
