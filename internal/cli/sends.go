package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"mailer/internal/sending"
	"mailer/internal/store"
)

func newCmdSends(d *Deps) *cobra.Command {
	return group("sends", "List, pause, resume and cancel sends, scheduled and running",
		"  mailer sends ls\n  mailer sends pause 3\n  mailer sends cancel s2",
		newCmdSendsLs(d, nil), newCmdSendsPause(d, nil, true), newCmdSendsPause(d, nil, false), newCmdSendsCancel(d, nil))
}

// SendsLsOptions are the inputs of `mailer sends ls`.
type SendsLsOptions struct {
	Deps *Deps
	All  bool
	JSON bool
}

func newCmdSendsLs(d *Deps, runF func(context.Context, *SendsLsOptions) error) *cobra.Command {
	opts := &SendsLsOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List scheduled sends and sends not finished (--all: every one)",
		Long: `ls lists the scheduled sends (their ids start with s: s2) and the sends
that are not finished: running (someone holds the lease), waiting for a
retry (with the time of the next one), paused, or stopped with messages left
(mailer serve takes those over). --all lists finished, cancelled and refused
ones too, with why a schedule was refused.`,
		Example: "  mailer sends ls\n  mailer sends ls --all --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return sendsLsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "also finished, cancelled and refused ones")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func sendsLsRun(ctx context.Context, opts *SendsLsOptions) error {
	d := opts.Deps
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := sending.Sends(ctx, db, opts.All)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(d.Out, v)
	}
	if len(v.Scheduled) == 0 && len(v.Sends) == 0 {
		fmt.Fprintln(d.Out, "No scheduled or unfinished sends.")
		return nil
	}
	tw := newTable(d)
	fmt.Fprintln(tw, "ID\tISSUE\tLIST\tSTATUS\tWHEN\tPROGRESS")
	for _, s := range v.Scheduled {
		status := string(s.State)
		if s.Reason != "" {
			status += ": " + s.Reason
		}
		fmt.Fprintf(tw, "s%d\t%s\t%s\t%s\t%s\t-\n", s.ID, s.Issue, s.ListName, status, when(s.DueAt))
	}
	for _, s := range v.Sends {
		at := when(s.CreatedAt)
		if s.NextRetry != "" {
			at = "next retry " + s.NextRetry
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d/%d sent\n", s.ID, s.Issue, s.ListName, s.Status, at, s.Counts.Sent, s.Total)
	}
	return tw.Flush()
}

// SendsPauseOptions are the inputs of `mailer sends pause|resume`.
type SendsPauseOptions struct {
	Deps  *Deps
	ID    int64
	Pause bool
	Force bool // resume past the circuit breaker
}

func newCmdSendsPause(d *Deps, runF func(context.Context, *SendsPauseOptions) error, pause bool) *cobra.Command {
	opts := &SendsPauseOptions{Deps: d, Pause: pause}
	use, short := "pause ID", "Pause a send: nobody delivers it until it is resumed"
	example := "  mailer sends ls\n  mailer sends pause 3"
	if !pause {
		use, short = "resume ID", "Let a paused send go on (mailer serve, or mailer send ISSUE, delivers it)"
		example = "  mailer sends resume 3\n  mailer sends resume 3 --force   # paused by its circuit breaker"
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    exactArgs(1, "a send's id (mailer sends ls)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageErrorf("%q is not a send id (mailer sends ls shows them)", args[0])
			}
			opts.ID = id
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return sendsPauseRun(cmd.Context(), opts)
		},
	}
	if !pause {
		cmd.Flags().BoolVar(&opts.Force, "force", false, "resume a send its circuit breaker paused (too many bounces or complaints)")
	}
	return cmd
}

func sendsPauseRun(ctx context.Context, opts *SendsPauseOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if opts.Pause {
		err = sending.PauseSend(ctx, db, opts.ID, opts.Deps.adminEvidence(store.SourceAdmin, ""))
	} else {
		err = sending.ResumeSend(ctx, db, opts.ID, opts.Force, opts.Deps.adminEvidence(store.SourceAdmin, ""))
	}
	if err != nil {
		return err
	}
	if opts.Pause {
		fmt.Fprintf(opts.Deps.Out, "Paused send #%d: a run delivering it stops after the messages in flight.\n", opts.ID)
	} else {
		fmt.Fprintf(opts.Deps.Out, "Resumed send #%d: mailer serve takes it up (or run mailer send for its issue).\n", opts.ID)
	}
	return nil
}

// SendsCancelOptions are the inputs of `mailer sends cancel`.
type SendsCancelOptions struct {
	Deps *Deps
	ID   string // N for a send, sN for a schedule
}

func newCmdSendsCancel(d *Deps, runF func(context.Context, *SendsCancelOptions) error) *cobra.Command {
	opts := &SendsCancelOptions{Deps: d}
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a scheduled send (sN) or stop a send for good (N: the rest is skipped)",
		Example: "  mailer sends cancel s2   # the schedule s2, before it starts\n" +
			"  mailer sends cancel 3    # send 3: the members not yet sent to are skipped",
		Args: exactArgs(1, "a send's or schedule's id (mailer sends ls)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return sendsCancelRun(cmd.Context(), opts)
		},
	}
}

func sendsCancelRun(ctx context.Context, opts *SendsCancelOptions) error {
	d := opts.Deps
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if rest, ok := strings.CutPrefix(opts.ID, "s"); ok {
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return usageErrorf("%q is not a schedule id", opts.ID)
		}
		if err := sending.CancelSchedule(ctx, db, id, d.adminEvidence(store.SourceAdmin, "")); err != nil {
			return err
		}
		fmt.Fprintf(d.Out, "Cancelled scheduled send s%d.\n", id)
		return nil
	}
	id, err := strconv.ParseInt(opts.ID, 10, 64)
	if err != nil {
		return usageErrorf("%q is not a send id (mailer sends ls shows them)", opts.ID)
	}
	n, err := sending.CancelSend(ctx, db, id, d.adminEvidence(store.SourceAdmin, ""))
	if err != nil {
		return err
	}
	fmt.Fprintf(d.Out, "Cancelled send #%d: %d message(s) not sent (skipped, see mailer status).\n", id, n)
	return nil
}
