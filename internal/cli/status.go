package cli

import (
	"context"
	"fmt"

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

// sendStatus is a send with its latest problems.
type sendStatus struct {
	*store.Send
	Problems []store.DeliveryProblem `json:"latest_problems"`
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	d := opts.Deps
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	sends, err := db.Sends(ctx, opts.Issue)
	if err != nil {
		return err
	}
	out := []sendStatus{}
	for _, s := range sends {
		probs, err := db.Problems(ctx, s.ID, 5)
		if err != nil {
			return err
		}
		out = append(out, sendStatus{Send: s, Problems: probs})
	}
	if opts.JSON {
		return writeJSON(d.Out, out)
	}
	scheduled, err := db.Schedules(ctx, false)
	if err != nil {
		return err
	}
	for _, sc := range scheduled {
		if opts.Issue == "" || sc.Issue == opts.Issue {
			fmt.Fprintf(d.Out, "s%d %s to %s: scheduled for %s\n", sc.ID, sc.Issue, sc.ListName, when(sc.DueAt))
		}
	}
	if len(out) == 0 {
		if len(scheduled) == 0 {
			fmt.Fprintln(d.Out, "No sends yet.")
		}
		return nil
	}
	for _, s := range out {
		state := "finished " + when(derefTime(s.FinishedAt))
		if s.State != store.SendDone {
			state = describeSendState(s.Send, d)
			if state == "running" {
				state += " (" + s.LeaseOwner + ")"
			}
			if next, pending, err := db.Queue(s.ID).NextDue(ctx); err == nil && pending && state == "waiting for retry" {
				state += ", next at " + when(next)
			}
		}
		c := s.Counts
		fmt.Fprintf(d.Out, "#%d %s to %s, started %s, %s\n", s.ID, s.Issue, s.ListName, when(s.CreatedAt), state)
		fmt.Fprintf(d.Out, "  %s of %s sent, %s failed, %s skipped (left the list), %s deferred, %s queued, %s in flight\n",
			sending.Thousands(c.Sent), sending.Thousands(s.Total), sending.Thousands(c.Failed), sending.Thousands(c.Skipped), sending.Thousands(c.Deferred), sending.Thousands(c.Queued), sending.Thousands(c.Sending))
		for _, p := range s.Problems {
			fmt.Fprintf(d.Out, "  %s %s after %d attempt(s), %s: %s\n", p.State, p.Address, p.Attempts, when(p.At), p.Reply)
		}
	}
	return nil
}
