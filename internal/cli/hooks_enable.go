package cli

import (
	"context"

	"github.com/spf13/cobra"

	"mailer/internal/store"
)

func newCmdHooksEnable(d *Deps, runF func(context.Context, *HooksIDOptions) error) *cobra.Command {
	return hookCommand(d, &cobra.Command{
		Use:   "enable ID",
		Short: "Send events again to a hook that was disabled (410 Gone, or given up on)",
		Long: `enable lets a disabled hook get events again, from now on; hooks ls shows
why it was disabled. Try it first with mailer hooks test ID.`,
		Example: "  mailer hooks test 3 && mailer hooks enable 3",
	}, hooksEnableRun, runF)
}

func hooksEnableRun(ctx context.Context, opts *HooksIDOptions) error {
	return changeHook(ctx, opts, "Enabled hook #%d: events from now on are sent to it.\n", func(db *store.DB, id int64, ev store.Evidence) error {
		return db.EnableHook(ctx, id, ev)
	})
}
