package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/render"
	"mailer/internal/store"
	"mailer/internal/token"
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
	return cmd
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
}

func sendRun(ctx context.Context, opts *SendOptions) error {
	d := opts.Deps
	job, err := openIssue(ctx, d, opts.Issue, opts.List)
	if err != nil {
		return err
	}
	defer job.close()
	if job.issue.Draft {
		return fault.Errorf(fault.Invalid, "%s is a draft (draft: true in its front matter); remove that line to send it", job.issue.Source)
	}
	rd, err := job.render()
	if err != nil {
		return err
	}
	p := &sendPlan{job: job, rendered: rd, hash: contentHash(rd), rate: job.cfg.Rate.PerSecond, burst: job.cfg.Rate.Burst,
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

// leaseFor is how long a lease lasts without renewal: a crashed process's
// lease lapses this long after its last renewal.
const leaseFor = 30 * time.Second

func (p *sendPlan) deliver(ctx context.Context, d *Deps, opts *SendOptions) error {
	db, cfg, l := p.job.db, p.job.cfg, p.job.list
	owner := leaseOwner()
	send := p.existing
	var err error
	if send == nil {
		nonce := make([]byte, 8)
		rand.Read(nonce)
		send, err = db.StartSend(ctx, store.NewSend{Issue: p.job.issue.Slug, ListID: l.ID, Subject: p.rendered.Subject,
			ContentHash: p.hash, MsgIDNonce: p.job.issue.Slug + "." + hex.EncodeToString(nonce), MsgIDDomain: string(cfg.ListHost),
			LeaseOwner: owner, LeaseUntil: d.Now().Add(leaseFor)})
		if err != nil {
			return err
		}
		fmt.Fprintf(d.Out, "Queued %s messages (send #%d).\n", thousands(send.Total), send.ID)
	} else {
		if err := db.TakeLease(ctx, send.ID, owner, d.Now().Add(leaseFor), holderIsGone); err != nil {
			return err
		}
		n, err := db.RecoverInFlight(ctx, send.ID, cfg.Send.InFlight == config.InFlightResend)
		if err != nil {
			return err
		}
		if n > 0 {
			fate := "sending them again"
			if cfg.Send.InFlight == config.InFlightSkip {
				fate = "not sending them again"
			}
			fmt.Fprintf(d.Out, "%d message(s) were being sent when the last run stopped: %s (send.in_flight = %q).\n", n, fate, cfg.Send.InFlight)
		}
		if opts.ResendFailed {
			if _, err := db.RequeueFailed(ctx, send.ID); err != nil {
				return err
			}
		}
	}
	defer db.ReleaseLease(context.WithoutCancel(ctx), send.ID, owner)

	// The helpers below stop with the run, and deliver waits for them, so
	// nothing writes or touches the database after it returns.
	runCtx, cancelRun := context.WithCancel(ctx)
	var helpers sync.WaitGroup
	defer func() { cancelRun(); helpers.Wait() }()
	leaseLost := make(chan error, 1)
	errOut := &syncWriter{w: d.ErrOut}
	helpers.Add(2)
	go func() { defer helpers.Done(); renewLease(runCtx, db, send.ID, owner, d.Now, leaseLost, cancelRun) }()
	go func() { defer helpers.Done(); announceStop(ctx, runCtx, errOut) }()

	var caps *delivery.Caps
	if cfg.Rate.PerHour > 0 || cfg.Rate.PerDay > 0 {
		recent, err := db.SentSince(ctx, d.Now().Add(-24*time.Hour))
		if err != nil {
			return err
		}
		caps = delivery.NewCaps(cfg.Rate.PerHour, cfg.Rate.PerDay, recent)
	}
	counts, _ := db.Queue(send.ID).Counts(ctx)
	prog := newProgress(d, errOut, counts)
	defer prog.stop()
	sender := delivery.New(db.Queue(send.ID), p.transport, p.composer(), delivery.Options{
		Concurrency: p.concurrency, Limiter: limiter(p.rate, p.burst), Caps: caps,
		Retry: cfg.Send.RetrySchedule(), MaxAge: time.Duration(cfg.Send.MaxAge), PerConnection: cfg.Send.MessagesPerConnection,
		DialTimeout: time.Duration(cfg.SMTP.ConnectTimeout), Now: d.Now,
		OnResult: p.onResult(ctx, prog), OnPause: prog.pause, OnWait: prog.wait,
	})
	runErr := sender.Run(runCtx)
	prog.stop()
	select {
	case err := <-leaseLost:
		runErr = err
	default:
	}
	final, err := db.Queue(send.ID).Counts(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	fmt.Fprintf(d.Out, "%s to %s: %s sent, %s failed, %s deferred, %s not yet sent (%s).\n", p.job.issue.Slug, l.Name,
		thousands(final.Sent), thousands(final.Failed), thousands(final.Deferred), thousands(final.Queued+final.Sending), prog.elapsed())
	if runErr == nil && final.Pending() == 0 {
		if err := db.FinishSend(context.WithoutCancel(ctx), send.ID); err != nil {
			return err
		}
		if err := p.archive(context.WithoutCancel(ctx), d); err != nil {
			return err
		}
		if final.Failed > 0 {
			fmt.Fprintf(d.Out, "See the failures with: mailer status %s\n", p.job.issue.Slug)
		}
		return nil
	}
	resume := "mailer send " + p.job.issue.Slug
	if ctx.Err() != nil {
		return fault.Errorf(fault.Unavailable, "stopped; everything sent so far is recorded. Resume with: %s", resume)
	}
	if runErr == nil {
		runErr = errors.New("the send ended with messages left")
	}
	return fault.Wrap(fault.Unavailable, runErr, "%v\nNothing was lost; resume with: %s", runErr, resume)
}

// onResult updates the progress and counts a permanent refusal (5xx) as a
// hard bounce against the member, as a bounce message would.
func (p *sendPlan) onResult(ctx context.Context, prog *progress) func(delivery.Job, delivery.Result) {
	cfg, db, list := p.job.cfg, p.job.db, p.job.list.Name
	policy := store.BouncePolicy{Threshold: cfg.Bounce.Threshold, Window: time.Duration(cfg.Bounce.Window)}
	return func(j delivery.Job, r delivery.Result) {
		prog.result(j, r)
		if r.Outcome != delivery.Failed || !r.Permanent {
			return
		}
		up, err := db.RecordBounce(context.WithoutCancel(ctx), list, j.Address, true, "refused when sending: "+r.Reply, policy)
		if err != nil {
			fmt.Fprintf(prog.out, "could not count the bounce of %s: %v\n", j.Address, err)
		} else if up.Disabled {
			fmt.Fprintf(prog.out, "%s bounced too often: no more mail to it on %s\n", j.Address, list)
		}
	}
}

// archive puts the sent issue in the list's public archive: the web
// version, without personal links.
func (p *sendPlan) archive(ctx context.Context, d *Deps) error {
	page, err := p.job.renderer.WebPage(p.job.issue, renderList(p.job.list))
	if err != nil {
		return err
	}
	iss := p.job.issue
	return p.job.db.SaveArchive(ctx, p.job.list.ID, store.ArchivedIssue{Slug: iss.Slug, Title: iss.Title, Summary: iss.Summary,
		SentAt: d.Now(), HTML: page})
}

// composer personalises the prepared message for each job.
func (p *sendPlan) composer() delivery.Composer {
	list, host := p.job.list, string(p.job.cfg.ListHost)
	signer, msg := p.job.signer, p.rendered.Message
	return func(j delivery.Job, buf []byte) ([]byte, string, error) {
		tok := signer.Make(token.Membership{ListID: list.ID, SubscriberID: j.SubscriberID})
		out, err := msg.Personalise(buf, render.Recipient{Address: j.Address, Name: j.Name, Token: tok, MessageID: j.MessageID})
		return out, verp(list.Name, host, j.Address), err
	}
}

// sendTests sends single copies outside the queue, for the editor to look at.
func sendTests(ctx context.Context, d *Deps, p *sendPlan, addrs []string) error {
	if err := preflight(ctx, p.transport, time.Duration(p.job.cfg.SMTP.ConnectTimeout)); err != nil {
		return err
	}
	sess, err := p.transport.Dial(ctx)
	if err != nil {
		return fault.Wrap(fault.Unavailable, err, "%v", err)
	}
	defer sess.Close()
	failed := 0
	for _, a := range addrs {
		rcpt, _, err := p.job.recipientFor(ctx, a)
		if err != nil {
			fmt.Fprintln(d.ErrOut, err)
			failed++
			continue
		}
		msg, err := p.rendered.Message.Personalise(nil, rcpt)
		if err == nil {
			err = sess.Send(verp(p.job.list.Name, string(p.job.cfg.ListHost), rcpt.Address), rcpt.Address, msg)
		}
		if err != nil {
			fmt.Fprintf(d.ErrOut, "test copy to %s: %v\n", rcpt.Address, err)
			failed++
			continue
		}
		fmt.Fprintf(d.Out, "Sent a test copy of %s to %s via %s\n", p.job.issue.Slug, rcpt.Address, p.via)
	}
	if failed > 0 {
		return fault.Errorf(fault.Invalid, "%d of %d test copies not sent", failed, len(addrs))
	}
	return nil
}

// renewLease keeps the lease while the send runs; losing it (another
// process took over) stops this one.
func renewLease(ctx context.Context, db *store.DB, sendID int64, owner string, now func() time.Time, lost chan<- error, stop func()) {
	t := time.NewTicker(leaseFor / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := db.RenewLease(ctx, sendID, owner, now().Add(leaseFor)); err != nil && fault.CodeOf(err) == fault.Conflict {
				lost <- err
				stop()
				return
			}
		}
	}
}

// announceStop tells the person that Ctrl-C was heard, and makes a second
// Ctrl-C quit at once.
func announceStop(signalled, running context.Context, errOut io.Writer) {
	select {
	case <-running.Done():
		if signalled.Err() == nil {
			return
		}
	case <-signalled.Done():
	}
	fmt.Fprintln(errOut, "\nStopping: finishing the messages in flight (Ctrl-C again to quit at once)...")
	signal.Reset(os.Interrupt, syscall.SIGTERM)
}

// leaseOwner names this process: host, pid and a random tag.
func leaseOwner() string {
	host, _ := os.Hostname()
	tag := make([]byte, 3)
	rand.Read(tag)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(tag))
}

// holderIsGone reports that a lease holder on this host is no longer
// running, so its lease need not be waited out.
func holderIsGone(holder string) bool {
	parts := strings.Split(holder, ":")
	host, _ := os.Hostname()
	if len(parts) != 3 || parts[0] != host {
		return false
	}
	var pid int
	if _, err := fmt.Sscan(parts[1], &pid); err != nil || pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// thousands writes n with thousands separators: 1,234,567.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
