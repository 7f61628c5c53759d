package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mailer/internal/address"
	"mailer/internal/bounces"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/render"
	"mailer/internal/store"
	"mailer/internal/token"
)

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
	// Refusals while sending go to the same bounce service as bounce mail,
	// which tells the owners when it stops a member; it shares the send's store.
	in, err := buildHandler(d, cfg, db, slog.New(slog.NewTextHandler(errOut, nil)))
	if err != nil {
		return err
	}
	counts, _ := db.Queue(send.ID).Counts(ctx)
	prog := newProgress(d, errOut, counts)
	defer prog.stop()
	sender := delivery.New(db.Queue(send.ID), p.transport, p.composer(), delivery.Options{
		Concurrency: p.concurrency, Limiter: limiter(p.rate, p.burst), Caps: caps,
		// Prefetched jobs that never reached the server are "sending" after a
		// crash too: fine when those are resent, wrong when they are skipped.
		Prefetch: cfg.Send.InFlight == config.InFlightResend,
		Retry:    cfg.Send.RetrySchedule(), MaxAge: time.Duration(cfg.Send.MaxAge), PerConnection: cfg.Send.MessagesPerConnection,
		DialTimeout: time.Duration(cfg.SMTP.ConnectTimeout), Now: d.Now,
		OnResult: p.onResult(ctx, prog, in.bounces), OnPause: prog.pause, OnWait: prog.wait,
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
	skipped := ""
	if final.Skipped > 0 {
		skipped = ", " + thousands(final.Skipped) + " skipped (left the list)"
	}
	fmt.Fprintf(d.Out, "%s to %s: %s sent, %s failed%s, %s deferred, %s not yet sent (%s).\n", p.job.issue.Slug, l.Name,
		thousands(final.Sent), thousands(final.Failed), skipped, thousands(final.Deferred), thousands(final.Queued+final.Sending), prog.elapsed())
	if p.jsonOut != nil {
		writeJSON(p.jsonOut, sendSummary{Issue: p.job.issue.Slug, List: l.Name, Send: send.ID, Counts: final,
			Finished: runErr == nil && final.Pending() == 0, Seconds: time.Since(prog.start).Seconds()})
	}
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

// sendSummary is `mailer send --json`'s output.
type sendSummary struct {
	Issue    string  `json:"issue"`
	List     string  `json:"list"`
	Send     int64   `json:"send"`
	Finished bool    `json:"finished"` // nothing left to deliver
	Seconds  float64 `json:"seconds"`  // this run's time
	delivery.Counts
}

// onResult updates the progress and counts a permanent refusal (5xx) as a
// hard bounce against the member, as a bounce message would.
func (p *sendPlan) onResult(ctx context.Context, prog *progress, svc *bounces.Service) func(delivery.Job, delivery.Result) {
	list := p.job.list.Name
	return func(j delivery.Job, r delivery.Result) {
		prog.result(j, r)
		if r.Outcome != delivery.Failed || !r.Permanent {
			return
		}
		up, err := svc.Refusal(context.WithoutCancel(ctx), list, j.Address, r.Reply)
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
	iss := p.job.issue
	if iss.NoArchive {
		return nil // archive: false
	}
	page, err := p.job.renderer.WebPage(iss, renderList(p.job.list))
	if err != nil {
		return err
	}
	content, err := p.job.renderer.Content(iss)
	if err != nil {
		return err
	}
	date := iss.Date
	if date.IsZero() {
		date = d.Now()
	}
	return p.job.db.SaveArchive(ctx, p.job.list.ID, store.ArchivedIssue{Slug: iss.Slug, Title: iss.Title, Summary: iss.Summary,
		Date: date, HTML: page, Content: content})
}

// composer personalises the prepared message for each job.
func (p *sendPlan) composer() delivery.Composer {
	list, book := p.job.list, p.job.cfg.Book()
	signer, msg := p.job.signer, p.rendered.Message
	return func(j delivery.Job, buf []byte) ([]byte, string, error) {
		tok := signer.Make(token.Membership{ListID: list.ID, SubscriberID: j.SubscriberID})
		// The address goes out with its domain in A-labels (RFC 5890), so
		// that headers and envelope work where SMTPUTF8 is not offered.
		out, err := msg.Personalise(buf, render.Recipient{Address: address.Wire(j.Address), Name: j.Name, Token: tok, MessageID: j.MessageID})
		return out, book.VERP(list.Name, j.Address), err
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
			err = sess.Send(p.job.cfg.Book().VERP(p.job.list.Name, rcpt.Address), rcpt.Address, msg)
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
