package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"mailer/internal/fault"
	"mailer/internal/outhooks"
	"mailer/internal/store"
)

func newCmdHooks(d *Deps) *cobra.Command {
	return group("hooks", "Event webhooks: tell other programs when members join, leave, bounce or complain",
		"  mailer hooks add https://crm.example.org/mailer --events subscribed,unsubscribed\n  mailer hooks ls\n  mailer hooks test 1",
		newCmdHooksAdd(d, nil), newCmdHooksLs(d, nil), newCmdHooksRm(d, nil), newCmdHooksTest(d, nil), newCmdHooksEnable(d, nil))
}

// HooksAddOptions are the inputs of `mailer hooks add`.
type HooksAddOptions struct {
	Deps   *Deps
	URL    string
	Events string
	List   string
	JSON   bool
}

func newCmdHooksAdd(d *Deps, runF func(context.Context, *HooksAddOptions) error) *cobra.Command {
	opts := &HooksAddOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "add URL --events EVENTS",
		Short: "Send events to URL, signed; prints the signing secret once",
		Long: `add registers a receiver: from now on every event of the kinds given
(` + strings.Join(outhooks.Events, ", ") + `) on LIST, or on every list,
is POSTed to URL as JSON by ` + "`mailer serve`" + `, signed as Standard Webhooks
says (webhook-id, webhook-timestamp, webhook-signature headers). The signing
secret (whsec_...) is printed once: keep it where the receiver can read it.
A failed delivery is retried for a day; 410 Gone disables the hook.`,
		Example: "  mailer hooks add https://crm.example.org/mailer --events subscribed,unsubscribed\n" +
			"  mailer hooks add https://ops.example.org/in --events bounced,complained,send.done --list bpf-updates",
		Args: exactArgs(1, "the receiver's URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.URL = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return hooksAddRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Events, "events", "", "comma-separated events: "+strings.Join(outhooks.Events, ","))
	cmd.Flags().StringVar(&opts.List, "list", "", "only this list's events (default: every list)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	cmd.MarkFlagRequired("events")
	return cmd
}

func hooksAddRun(ctx context.Context, opts *HooksAddOptions) error {
	d := opts.Deps
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := optionalList(ctx, db, opts.List)
	if err != nil {
		return err
	}
	h, err := outhooks.Add(ctx, db, opts.URL, opts.Events, l, opts.Deps.adminEvidence(store.SourceAdmin, ""))
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(d.Out, struct {
			ID     int64    `json:"id"`
			URL    string   `json:"url"`
			Events []string `json:"events"`
			List   string   `json:"list,omitempty"`
			Secret string   `json:"secret"`
		}{h.ID, h.URL, h.Events, h.List, h.Secret})
	}
	scope := "every list"
	if h.List != "" {
		scope = h.List
	}
	fmt.Fprintf(d.Out, "Added hook #%d: %s on %s.\n", h.ID, strings.Join(h.Events, ", "), scope)
	fmt.Fprintf(d.Out, "Signing secret (shown only now): %s\n", h.Secret)
	return nil
}

// parseHookID reads a hook's id as `hooks ls` prints it (3 or #3).
func parseHookID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.Errorf(fault.Invalid, "%q is not a hook id (see `mailer hooks ls`)", s)
	}
	return id, nil
}

// HooksIDOptions are the inputs of the commands on one hook: `mailer hooks
// rm`, `test` and `enable`.
type HooksIDOptions struct {
	Deps *Deps
	ID   string
}

// hookCommand completes cmd (its Use, texts and example) as a command on
// the one hook its argument names, run by run unless a test gives runF.
func hookCommand(d *Deps, cmd *cobra.Command, run, runF func(context.Context, *HooksIDOptions) error) *cobra.Command {
	opts := &HooksIDOptions{Deps: d}
	if runF == nil {
		runF = run
	}
	cmd.Args = exactArgs(1, "the hook's id")
	cmd.RunE = func(c *cobra.Command, args []string) error {
		opts.ID = args[0]
		return runF(c.Context(), opts)
	}
	return cmd
}

func newCmdHooksRm(d *Deps, runF func(context.Context, *HooksIDOptions) error) *cobra.Command {
	return hookCommand(d, &cobra.Command{
		Use:     "rm ID",
		Short:   "Remove a hook, with its queued events and attempts",
		Example: "  mailer hooks rm 3",
	}, hooksRmRun, runF)
}

func hooksRmRun(ctx context.Context, opts *HooksIDOptions) error {
	return changeHook(ctx, opts, "Removed hook #%d.\n", func(db *store.DB, id int64, ev store.Evidence) error {
		return db.DeleteHook(ctx, id, ev)
	})
}

// changeHook opens the store, makes the change to the hook the options
// name, as the operator, and says done (a format of the hook's id).
func changeHook(ctx context.Context, opts *HooksIDOptions, done string, change func(*store.DB, int64, store.Evidence) error) error {
	id, err := parseHookID(opts.ID)
	if err != nil {
		return err
	}
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := change(db, id, opts.Deps.adminEvidence(store.SourceAdmin, "")); err != nil {
		return err
	}
	fmt.Fprintf(opts.Deps.Out, done, id)
	return nil
}
