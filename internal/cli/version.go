package cli

import (
	"context"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// VersionOptions are the inputs of `mailer version`.
type VersionOptions struct {
	Deps *Deps
}

func newCmdVersion(d *Deps, runF func(context.Context, *VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{Deps: d}
	return &cobra.Command{
		Use:     "version",
		Short:   "Print mailer's version",
		Example: "  mailer version",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			fmt.Fprintf(d.Out, "mailer %s (%s, %s/%s)\n", d.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
