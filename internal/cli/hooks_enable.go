package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"mailer/internal/store"
)

func newCmdHooksEnable(d *Deps, runF func(context.Context, *HooksIDOptions) error) *cobra.Command {
	opts := &HooksIDOptions{Deps: d}
	return &cobra.Command{
		Use:   "enable ID",
		Short: "Send events again to a hook that was disabled (410 Gone, or given up on)",
		Long: `enable lets a disabled hook get events again, from now on; hooks ls shows
why it was disabled. Try it first with mailer hooks test ID.`,
		Example: "  mailer hooks test 3 && mailer hooks enable 3",
		Args:    exactArgs(1, "the hook's id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return hooksEnableRun(cmd.Context(), opts)
		},
	}
}

func hooksEnableRun(ctx context.Context, opts *HooksIDOptions) error {
	id, err := parseHookID(opts.ID)
	if err != nil {
		return err
	}
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.EnableHook(ctx, id, opts.Deps.adminEvidence(store.SourceAdmin, "")); err != nil {
		return err
	}
	fmt.Fprintf(opts.Deps.Out, "Enabled hook #%d: events from now on are sent to it.\n", id)
	return nil
}
