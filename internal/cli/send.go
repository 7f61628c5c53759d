package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mailer/internal/app"
	"mailer/internal/delivery"
	"mailer/internal/dkimsign"
	"mailer/internal/fault"
	"mailer/internal/sending"
	"mailer/internal/store"
)

// SendOptions are the inputs of `mailer send`.
type SendOptions struct {
	Deps         *Deps
	Issue        string
	List         string
	DryRun       bool
	Test         []string
	Rate         float64 // messages per second; negative: from the config
	Concurrency  int     // 0: from the config
	Yes          bool
	ResendFailed bool
	Force        bool
	JSON         bool   // the summary as JSON on standard output; the rest goes to standard error
	At           string // schedule for this time instead of sending now
	Replace      bool   // with At: replace the issue's schedule not yet started
	Join         bool   // deliver a running send beside the process that holds it
}

func newCmdSend(d *Deps, runF func(context.Context, *SendOptions) error) *cobra.Command {
	opts := &SendOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "send ISSUE",
		Short: "Send an issue to every active member of its list",
		Long: `send renders ISSUE, snapshots the list's active members into a delivery queue
in the database and delivers one copy to each, at the configured rate, over
reused connections, retrying deferred messages with backoff.

It shows what it is about to do and asks first (--yes skips the question, and
is required when standard input is not a terminal). Ctrl-C stops taking new
work, finishes the messages in flight and records where it got to; running
the same command again resumes, as it does after a crash: nobody recorded as
sent gets the issue twice and nobody is skipped. Messages that were being
handed to the server when a run was killed are resent or skipped as
send.in_flight says.

A finished send is not repeated: --resend-failed retries its failed
messages, --force starts a new send to everyone.

--at schedules the send for mailer serve. An issue already scheduled to the
list is refused (the error shows both times) unless --replace is given:
then the new time, and the issue as it is now, replace the old schedule.

--join delivers a send that is already running (from another terminal, or
mailer serve, maybe on another machine sharing a PostgreSQL database)
together with it: each worker claims messages in small batches in its own
name, the rate limit is the whole send's, and the messages of a worker that
dies go to the others when its claims lapse.`,
		Example: `  mailer send issue-06 --dry-run
  mailer send issue-06 --test editor@example.org
  mailer send issue-06 --yes --rate 5 --concurrency 2
  mailer send issue-06 --resend-failed
  mailer send issue-06 --at "2026-12-07 09:00"
  mailer send issue-06 --at "2026-12-07 10:30" --replace`,
		Args: exactArgs(1, "one issue"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Issue = args[0]
			if !cmd.Flags().Changed("rate") {
				opts.Rate = -1
			}
			if err := opts.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return sendRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.List, "list", "", "list to send to (default: the issue's list:, else default_list)")
	f.BoolVar(&opts.DryRun, "dry-run", false, "render and count, send nothing")
	f.StringSliceVar(&opts.Test, "test", nil, "send single copies to these addresses, outside the queue")
	f.Float64Var(&opts.Rate, "rate", 0, "messages per second (0: no limit; default rate.per_second)")
	f.IntVar(&opts.Concurrency, "concurrency", 0, "connections at once (default: concurrency in the config)")
	f.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	f.BoolVar(&opts.ResendFailed, "resend-failed", false, "retry the failed messages of a finished send")
	f.BoolVar(&opts.Force, "force", false, "send again to everyone, or resume with a changed issue")
	f.BoolVar(&opts.JSON, "json", false, "print the summary as JSON (messages for people go to standard error)")
	f.BoolVar(&opts.Join, "join", false, "help deliver the running send of this issue, beside the process that holds it (any number of machines, on PostgreSQL)")
	f.StringVar(&opts.At, "at", "", `schedule the send: "2026-12-07 09:00" (local time) or RFC 3339; mailer serve sends it then`)
	f.BoolVar(&opts.Replace, "replace", false, "with --at: replace the issue's schedule to the list that has not started")
	return cmd
}

// check refuses flags that do not go together.
func (o *SendOptions) check() error {
	if o.Join && (o.Force || o.ResendFailed || o.At != "" || len(o.Test) > 0) {
		return usageErrorf("--join delivers a running send: it goes with none of --force, --resend-failed, --at, --test")
	}
	if o.Replace && o.At == "" {
		return usageErrorf("--replace replaces a schedule: it goes with --at")
	}
	if o.Force && o.ResendFailed {
		return usageErrorf("--force and --resend-failed do not go together")
	}
	if o.Concurrency < 0 || o.Concurrency > 256 {
		return usageErrorf("--concurrency must be between 1 and 256")
	}
	return nil
}

func sendRun(ctx context.Context, opts *SendOptions) error {
	d := opts.Deps
	var jsonOut io.Writer
	if opts.JSON {
		// Everything for people goes to standard error; standard output
		// carries only the summary object.
		quiet := *d
		quiet.Out, jsonOut = d.ErrOut, d.Out
		d = &quiet
	}
	job, err := openIssue(ctx, d, opts.Issue, opts.List)
	if err != nil {
		return err
	}
	defer job.close()
	po := sending.PlanOptions{Rate: opts.Rate, Concurrency: opts.Concurrency, Force: opts.Force, ResendFailed: opts.ResendFailed, Replace: opts.Replace}
	p, err := job.Prepare(ctx, po, len(opts.Test) > 0, func() (delivery.Transport, *dkimsign.Signer, string, error) {
		return app.SendTransport(job.Config)
	})
	switch {
	case err != nil:
		return err
	case len(opts.Test) > 0:
		return sendTests(ctx, d, p, opts.Test)
	case opts.At != "":
		return schedule(ctx, d, p, opts.At)
	}
	fmt.Fprintln(d.Out, p.Describe())
	if opts.DryRun {
		fmt.Fprintln(d.Out, "Dry run: nothing was sent.")
		return nil
	}
	if p.Recipients == 0 {
		fmt.Fprintf(d.Out, "Nothing to send: %s has no active members.\n", job.List.Name)
		return nil
	}
	if err := confirm(d, opts.Yes); err != nil {
		return err
	}
	if err := p.Preflight(ctx); err != nil {
		return err
	}
	return deliver(ctx, d, p, opts, jsonOut)
}

// schedule stores the send for later (sending.Plan.Schedule).
func schedule(ctx context.Context, d *Deps, p *sending.Plan, at string) error {
	due, err := parseAt(at, d.Now())
	if err != nil {
		return err
	}
	s, err := p.Schedule(ctx, due, d.adminEvidence(store.SourceAdmin, ""))
	if err != nil {
		return err
	}
	if r := s.Replaced; r != nil {
		fmt.Fprintf(d.Out, "Replaced schedule #%d (for %s).\n", r.ID, r.DueAt.Local().Format("Mon 2 Jan 2006 15:04 MST"))
	}
	fmt.Fprintf(d.Out, "Scheduled %s (%q) to %s for %s (schedule #%d). mailer serve sends it then; mailer sends ls shows it.\n",
		s.Issue, p.Rendered.Subject, s.ListName, due.Local().Format("Mon 2 Jan 2006 15:04 MST"), s.ID)
	return nil
}

// parseAt reads --at: local "2006-01-02 15:04" or RFC 3339, in the future.
func parseAt(at string, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02 15:04", at, time.Local)
	}
	if err != nil {
		return time.Time{}, usageErrorf("--at %q: give a time as \"2026-12-07 09:00\" (local) or RFC 3339", at)
	}
	if !t.After(now) {
		return time.Time{}, usageErrorf("--at %s is in the past", t.Local().Format("2006-01-02 15:04 MST"))
	}
	return t, nil
}

// confirm asks the person at the terminal, or insists on --yes.
func confirm(d *Deps, yes bool) error {
	if yes {
		return nil
	}
	if !d.InteractiveIn() {
		return usageErrorf("standard input is not a terminal: pass --yes to send without being asked")
	}
	fmt.Fprint(d.Out, "Send it? [y/N] ")
	answer, _ := bufio.NewReader(d.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return fault.Errorf(fault.Invalid, "not sent")
	}
	return nil
}
