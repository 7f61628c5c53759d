package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"mailer/internal/app"
	"mailer/internal/delivery"
	"mailer/internal/sending"
	"mailer/internal/termprogress"
)

// deliver runs the send in this terminal: the workflow is package
// sending's; this shows its progress, hears Ctrl-C and prints the summary.
func deliver(ctx context.Context, d *Deps, p *sending.Plan, opts *SendOptions, jsonOut io.Writer) error {
	errOut := &syncWriter{w: d.ErrOut}
	runCtx, stopHelpers := context.WithCancel(ctx)
	var helpers sync.WaitGroup
	helpers.Add(1)
	go func() { defer helpers.Done(); announceStop(ctx, runCtx, errOut) }()
	defer func() { stopHelpers(); helpers.Wait() }()
	// Refusals while sending go to the same bounce service as bounce mail,
	// which tells the owners when it stops a member; it shares the send's store.
	in, err := app.Build(p.Job.Config, p.Job.DB, app.Options{Now: d.Now, Logger: slog.New(slog.NewTextHandler(errOut, nil))})
	if err != nil {
		return err
	}
	prog := &terminalProgress{d: d, out: errOut, say: d.Out}
	out, runErr := p.Run(ctx, sending.RunOptions{Progress: prog, Refusals: in.Bounces, Breaker: in.BreakerHooks(), ResendFailed: opts.ResendFailed, Now: d.Now, Join: opts.Join})
	if out.Send == 0 {
		return runErr // it never started
	}
	c := out.Counts
	skipped := ""
	if c.Skipped > 0 {
		skipped = ", " + sending.Thousands(c.Skipped) + " skipped (left the list)"
	}
	fmt.Fprintf(d.Out, "%s to %s: %s sent, %s failed%s, %s deferred, %s not yet sent (%s).\n", p.Job.Issue.Slug, p.Job.List.Name,
		sending.Thousands(c.Sent), sending.Thousands(c.Failed), skipped, sending.Thousands(c.Deferred), sending.Thousands(c.Queued+c.Sending),
		prog.elapsed())
	if jsonOut != nil {
		writeJSON(jsonOut, sendSummary{Issue: p.Job.Issue.Slug, List: p.Job.List.Name, Send: out.Send, Counts: c,
			Finished: out.Finished, Seconds: prog.seconds()})
	}
	if out.Finished && c.Failed > 0 {
		fmt.Fprintf(d.Out, "See the failures with: mailer status %s\n", p.Job.Issue.Slug)
	}
	return runErr
}

// sendSummary is `mailer send --json`'s output.
type sendSummary struct {
	Issue    string  `json:"issue"`
	List     string  `json:"list"`
	Send     int64   `json:"send"`
	Finished bool    `json:"finished"` // nothing left to deliver
	Seconds  float64 `json:"seconds"`  // this run's time
	delivery.Counts
}

// terminalProgress is the workflow's progress as a person sees it: the
// bar (or log lines without a terminal) on standard error, notes on
// standard output.
type terminalProgress struct {
	d   *Deps
	out io.Writer // shared with other goroutines: a syncWriter
	say io.Writer
	p   *termprogress.Progress
}

func (t *terminalProgress) Begin(c delivery.Counts) {
	t.p = termprogress.New(t.out, t.d.InteractiveErr(), c)
}
func (t *terminalProgress) Result(j delivery.Job, r delivery.Result) {
	t.p.Result(j, r)
}
func (t *terminalProgress) Pause(until time.Time) { t.p.Pause(until) }
func (t *terminalProgress) Wait(next time.Time)   { t.p.Wait(next) }
func (t *terminalProgress) Say(line string)       { fmt.Fprintln(t.say, line) }
func (t *terminalProgress) End() {
	if t.p != nil {
		t.p.Stop()
	}
}

func (t *terminalProgress) elapsed() string {
	if t.p == nil {
		return "0s"
	}
	return t.p.Elapsed()
}

func (t *terminalProgress) seconds() float64 {
	if t.p == nil {
		return 0
	}
	return t.p.Seconds()
}

// sendTests sends single copies outside the queue (sending.Plan.SendTests)
// and says what became of each.
func sendTests(ctx context.Context, d *Deps, p *sending.Plan, addrs []string) error {
	copies, err := p.SendTests(ctx, addrs)
	for _, c := range copies {
		switch {
		case c.To == "":
			fmt.Fprintln(d.ErrOut, c.Err)
		case c.Err != nil:
			fmt.Fprintf(d.ErrOut, "test copy to %s: %v\n", c.To, c.Err)
		default:
			fmt.Fprintf(d.Out, "Sent a test copy of %s to %s via %s\n", p.Job.Issue.Slug, c.To, p.Via)
		}
	}
	return err
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
