package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mailer/internal/sending"
	"mailer/internal/store"
)

// StatusOptions are the inputs of `mailer status`.
type StatusOptions struct {
	Deps  *Deps
	Issue string
	JSON  bool
}

func newCmdStatus(d *Deps, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{Deps: d}
	cmd := &cobra.Command{
		Use:     "status [ISSUE]",
		Short:   "Show sends with their counts and latest errors",
		Example: "  mailer status\n  mailer status issue-06 --json",
		Args:    rangeArgs(0, 1, "at most one issue"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Issue = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	d := opts.Deps
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	ov, err := sending.Status(ctx, db, opts.Issue)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(d.Out, ov.Sends)
	}
	if err := printCapped(ctx, d, db); err != nil {
		return err
	}
	for _, sc := range ov.Scheduled {
		fmt.Fprintf(d.Out, "s%d %s to %s: scheduled for %s\n", sc.ID, sc.Issue, sc.ListName, when(sc.DueAt))
	}
	if len(ov.Sends) == 0 {
		if ov.ScheduledAll == 0 {
			fmt.Fprintln(d.Out, "No sends yet.")
		}
		return nil
	}
	for _, s := range ov.Sends {
		c := s.Counts
		fmt.Fprintf(d.Out, "#%d %s to %s, started %s, %s\n", s.ID, s.Issue, s.ListName, when(s.CreatedAt), standing(s))
		fmt.Fprintf(d.Out, "  %s of %s sent, %s failed, %s skipped (left the list), %s deferred, %s queued, %s in flight, %s bounced later, %s spam complaint(s)\n",
			sending.Thousands(c.Sent), sending.Thousands(s.Total), sending.Thousands(c.Failed), sending.Thousands(c.Skipped), sending.Thousands(c.Deferred), sending.Thousands(c.Queued), sending.Thousands(c.Sending), sending.Thousands(s.BounceReports), sending.Thousands(s.Complaints))
		for _, p := range s.Problems {
			if p.Reply == store.InFlightNotRetried {
				// Its outcome is unknown, not failed: say what is known.
				fmt.Fprintf(d.Out, "  not retried %s (may have been delivered: it was in flight when a run stopped), %s\n", p.Address, when(p.At))
				continue
			}
			fmt.Fprintf(d.Out, "  %s %s after %d attempt(s), %s: %s\n", p.State, p.Address, p.Attempts, when(p.At), p.Reply)
		}
	}
	return nil
}

// standing is a send's state for its status line.
func standing(s sending.SendStatus) string {
	if s.State == store.SendDone {
		return "finished " + when(derefTime(s.FinishedAt))
	}
	state := s.Standing
	if rest, ok := strings.CutPrefix(state, "running"); ok {
		state = "running (" + s.LeaseOwner + ")" + rest
	}
	if !s.NextRetry.IsZero() {
		state += ", next at " + when(s.NextRetry)
	}
	return state
}

// printCapped says what the answer caps stopped in the last 24 hours:
// held back by a site-wide cap (the MTA retries, the web visitor was told
// to come back) or dropped by the cap for one address.
func printCapped(ctx context.Context, d *Deps, db *store.DB) error {
	counts, err := db.CappedSince(ctx, d.Now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	for _, c := range counts {
		what := fmt.Sprintf("%d %s request(s) held back by the site-wide hourly cap (they come again)", c.N, c.Budget)
		if c.Cap == store.CapAddress {
			what = fmt.Sprintf("%d mail(s) dropped by the hourly cap for one address", c.N)
		}
		fmt.Fprintf(d.Out, "Last 24 hours: %s.\n", what)
	}
	return nil
}
