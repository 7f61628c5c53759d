package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/render"
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
	JSON         bool // the summary as JSON on standard output; the rest goes to standard error
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
messages, --force starts a new send to everyone.`,
		Example: `  mailer send issue-06 --dry-run
  mailer send issue-06 --test editor@example.org
  mailer send issue-06 --yes --rate 5 --concurrency 2
  mailer send issue-06 --resend-failed`,
		Args: exactArgs(1, "one issue"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Issue = args[0]
			if opts.Force && opts.ResendFailed {
				return usageErrorf("--force and --resend-failed do not go together")
			}
			if opts.Concurrency < 0 || opts.Concurrency > 256 {
				return usageErrorf("--concurrency must be between 1 and 256")
			}
			if !cmd.Flags().Changed("rate") {
				opts.Rate = -1
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
	return cmd
}

// withDeps is opts with other deps.
func withDeps(opts *SendOptions, d *Deps) *SendOptions {
	o := *opts
	o.Deps = d
	return &o
}

// sendPlan is what a send will do, for the confirmation and the run.
type sendPlan struct {
	job         *issueJob
	rendered    *render.Rendered
	hash        string
	existing    *store.Send // the send to resume, if any
	recipients  int
	rate        float64
	burst       int
	concurrency int
	transport   delivery.Transport
	via         string
	jsonOut     io.Writer // --json: where the summary goes
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
		opts = withDeps(opts, d)
	}
	job, err := openIssue(ctx, d, opts.Issue, opts.List)
	if err != nil {
		return err
	}
	defer job.close()
	// A draft is for test copies: only a send to the list is refused.
	if job.issue.Draft && len(opts.Test) == 0 {
		return fault.Errorf(fault.Invalid, "%s is a draft (draft: true in its front matter); send --test ADDR to look at it, remove that line to send it", job.issue.Source)
	}
	rd, err := job.render()
	if err != nil {
		return err
	}
	p := &sendPlan{job: job, rendered: rd, hash: contentHash(rd), rate: job.cfg.Rate.PerSecond, burst: job.cfg.Rate.Burst, jsonOut: jsonOut,
		concurrency: job.cfg.Concurrency}
	if opts.Rate >= 0 {
		p.rate, p.burst = opts.Rate, max(1, int(opts.Rate))
	}
	if opts.Concurrency > 0 {
		p.concurrency = opts.Concurrency
	}
	if p.transport, p.via, err = newTransport(job.cfg); err != nil {
		return err
	}
	if len(opts.Test) > 0 {
		return sendTests(ctx, d, p, opts.Test)
	}
	if err := p.findExisting(ctx, opts); err != nil {
		return err
	}
	fmt.Fprintln(d.Out, p.describe())
	if opts.DryRun {
		fmt.Fprintln(d.Out, "Dry run: nothing was sent.")
		return nil
	}
	if p.recipients == 0 {
		fmt.Fprintf(d.Out, "Nothing to send: %s has no active members.\n", job.list.Name)
		return nil
	}
	if err := confirm(d, opts.Yes); err != nil {
		return err
	}
	if err := preflight(ctx, p.transport, time.Duration(job.cfg.SMTP.ConnectTimeout)); err != nil {
		return err
	}
	return p.deliver(ctx, d, opts)
}

// contentHash identifies the rendered issue, so that resuming a send with
// an edited issue is noticed.
func contentHash(rd *render.Rendered) string {
	h := sha256.New()
	for _, s := range []string{rd.Subject, rd.Text, rd.HTML} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// findExisting decides between a new send and resuming the last one.
func (p *sendPlan) findExisting(ctx context.Context, opts *SendOptions) error {
	db, l, slug := p.job.db, p.job.list, p.job.issue.Slug
	last, err := db.LatestSend(ctx, slug, l.ID)
	if fault.CodeOf(err) == fault.NotFound || (err == nil && opts.Force && last.State == "done") {
		p.recipients = l.Counts[store.Active]
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case last.State == "done" && opts.ResendFailed:
		if last.Counts.Failed == 0 {
			return fault.Errorf(fault.Conflict, "%s went to %s on %s with no failures: nothing to resend", slug, l.Name, when(*last.FinishedAt))
		}
	case last.State == "done":
		return fault.Errorf(fault.Conflict, "%s went to %s on %s: %s sent, %s failed (--resend-failed retries the failed ones, --force sends to everyone again)",
			slug, l.Name, when(*last.FinishedAt), thousands(last.Counts.Sent), thousands(last.Counts.Failed))
	case last.ContentHash != p.hash && !opts.Force:
		return fault.Errorf(fault.Conflict, "%s changed since its send to %s started on %s (%s of %s sent): resuming would send the new text to the rest. "+
			"Undo the change, or resume with the new text using --force", slug, l.Name, when(last.CreatedAt), thousands(last.Counts.Sent), thousands(last.Total))
	}
	p.existing = last
	p.recipients = last.Counts.Pending()
	if opts.ResendFailed {
		p.recipients = last.Counts.Failed
	}
	return nil
}

func (p *sendPlan) describe() string {
	l, iss := p.job.list, p.job.issue
	var b strings.Builder
	if p.existing != nil {
		fmt.Fprintf(&b, "Resuming send #%d of %q (%s) to %s: %s of %s messages left to deliver.\n",
			p.existing.ID, iss.Title, iss.Slug, l.Name, thousands(p.recipients), thousands(p.existing.Total))
	} else {
		fmt.Fprintf(&b, "About to send %q (%s) to %s (%s): %s active members.\n", iss.Title, iss.Slug, l.Name, l.Title, thousands(p.recipients))
	}
	fmt.Fprintf(&b, "Subject: %s\nFrom: %s <%s>\nVia: %s, %d connection(s)", p.rendered.Subject, l.FromName, l.FromAddress, p.via, p.concurrency)
	if p.rate > 0 {
		est := time.Duration(float64(p.recipients) / p.rate * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(&b, ", at most %g messages/s: about %s", p.rate, est)
	} else {
		b.WriteString(", no rate limit")
	}
	if c := p.job.cfg.Rate; c.PerHour > 0 || c.PerDay > 0 {
		fmt.Fprintf(&b, " (caps: %d/hour, %d/day; 0 is none)", c.PerHour, c.PerDay)
	}
	return b.String()
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
