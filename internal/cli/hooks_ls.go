package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mailer/internal/fault"
	"mailer/internal/outhooks"
	"mailer/internal/store"
)

// HooksLsOptions are the inputs of `mailer hooks ls`.
type HooksLsOptions struct {
	Deps *Deps
	JSON bool
}

// hooksLsAttempts is how many of each hook's latest attempts ls shows.
const hooksLsAttempts = 5

func newCmdHooksLs(d *Deps, runF func(context.Context, *HooksLsOptions) error) *cobra.Command {
	opts := &HooksLsOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List hooks with their queue and latest attempts",
		Long: `ls lists every hook: its URL, events and list, whether it is disabled and
why, how many events wait in its queue, and its latest attempts (HTTP status
or error, and how long the receiver took). The secrets are never shown.`,
		Example: "  mailer hooks ls\n  mailer hooks ls --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return hooksLsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func hooksLsRun(ctx context.Context, opts *HooksLsOptions) error {
	d := opts.Deps
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	hs, err := outhooks.List(ctx, db, hooksLsAttempts)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(d.Out, hs)
	}
	if len(hs) == 0 {
		fmt.Fprintln(d.Out, "No hooks. Add one with `mailer hooks add URL --events ...`.")
		return nil
	}
	for i, h := range hs {
		if i > 0 {
			fmt.Fprintln(d.Out)
		}
		printHook(d, h)
	}
	return nil
}

func printHook(d *Deps, h outhooks.View) {
	scope := "every list"
	if h.List != "" {
		scope = h.List
	}
	fmt.Fprintf(d.Out, "#%d %s\n  events: %s on %s; %d queued\n", h.ID, h.URL, strings.Join(h.Events, ", "), scope, h.Queued)
	if h.DisabledAt != nil {
		fmt.Fprintf(d.Out, "  disabled %s: %s\n", when(*h.DisabledAt), h.DisabledReason)
	}
	if len(h.Attempts) == 0 {
		fmt.Fprintln(d.Out, "  no attempts yet")
		return
	}
	tw := newTable(d)
	for _, a := range h.Attempts {
		fmt.Fprintf(tw, "  %s\t%s\t#%d\t%s\t%s\n", when(a.At), a.EventType, a.EventID, attemptResult(a), a.Duration.Round(time.Millisecond))
	}
	tw.Flush()
}

// attemptResult is an attempt's HTTP status, or why no answer came.
func attemptResult(a store.HookAttempt) string {
	if a.Status != 0 {
		return fmt.Sprintf("HTTP %d", a.Status)
	}
	return a.Error
}

func newCmdHooksTest(d *Deps, runF func(context.Context, *HooksIDOptions) error) *cobra.Command {
	return hookCommand(d, &cobra.Command{
		Use:   "test ID",
		Short: "Send a hook a ping event now and print how it went",
		Long: `test POSTs a signed {"type":"ping"} event to the hook's URL at once, from
this process, and prints the receiver's answer; the attempt is recorded
(hooks ls). A ping is tried once, and goes to a disabled hook too.`,
		Example: "  mailer hooks test 3",
	}, hooksTestRun, runF)
}

func hooksTestRun(ctx context.Context, opts *HooksIDOptions) error {
	id, err := parseHookID(opts.ID)
	if err != nil {
		return err
	}
	d := opts.Deps
	a, err := d.App(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	at, err := a.Outhooks().Ping(ctx, id)
	if err != nil {
		return err
	}
	if at.Error == "" && at.Status >= 200 && at.Status < 300 {
		fmt.Fprintf(d.Out, "Delivered: HTTP %d in %s.\n", at.Status, at.Duration.Round(time.Millisecond))
		return nil
	}
	return hookTestFailed(at)
}

// hookTestFailed is a ping that did not reach: the exit code says so.
func hookTestFailed(a store.HookAttempt) error {
	if a.Status == http.StatusGone {
		return fault.Errorf(fault.Unavailable, "the receiver answered HTTP 410 Gone: the hook is disabled")
	}
	if a.Status != 0 {
		return fault.Errorf(fault.Unavailable, "the receiver answered HTTP %d", a.Status)
	}
	return fault.Errorf(fault.Unavailable, "no answer from the receiver: %s", a.Error)
}
