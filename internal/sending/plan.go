package sending

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/dkimsign"
	"mailer/internal/fault"
	"mailer/internal/render"
	"mailer/internal/store"
)

// Plan is what a send will do, for the confirmation and the run.
type Plan struct {
	Job         *Job
	Rendered    *render.Rendered
	Hash        string
	Existing    *store.Send // the send to resume, if any
	Recipients  int
	Rate        float64
	Burst       int
	Concurrency int
	Transport   delivery.Transport
	DKIM        *dkimsign.Signer // signs each message as it is composed; nil for none
	Via         string           // how mail goes, for people
	Assets      []store.Asset    // the issue's own files, published when the send starts
	Replace     bool             // Schedule replaces a schedule of the issue to the list not started
}

// PlanOptions say how to send.
type PlanOptions struct {
	Rate         float64 // messages a second; negative: the config's
	Concurrency  int     // 0: the config's
	Force        bool    // send again to everyone, or resume with a changed issue
	ResendFailed bool    // retry the failed messages of a finished send
	Replace      bool    // scheduling: replace the issue's schedule to the list that has not started
	Transport    delivery.Transport
	DKIM         *dkimsign.Signer
	Via          string
}

// NewPlan renders the issue and decides between a new send and resuming
// the last one.
func (j *Job) NewPlan(ctx context.Context, o PlanOptions) (*Plan, error) {
	rd, err := j.Render()
	if err != nil {
		return nil, err
	}
	assets, err := j.Assets(rd.Assets)
	if err != nil {
		return nil, err
	}
	p := &Plan{Job: j, Rendered: rd, Hash: ContentHash(rd), Rate: j.Config.Rate.PerSecond, Burst: j.Config.Rate.Burst,
		Concurrency: j.Config.Concurrency, Transport: o.Transport, DKIM: o.DKIM, Via: o.Via, Assets: assets, Replace: o.Replace}
	if o.Rate >= 0 {
		p.Rate, p.Burst = o.Rate, max(1, int(o.Rate))
	}
	if o.Concurrency > 0 {
		p.Concurrency = o.Concurrency
	}
	return p, nil
}

// ContentHash identifies the rendered issue, so that resuming a send with
// an edited issue is noticed.
func ContentHash(rd *render.Rendered) string {
	h := sha256.New()
	for _, s := range []string{rd.Subject, rd.Text, rd.HTML} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// FindExisting decides between a new send and resuming the last one.
func (p *Plan) FindExisting(ctx context.Context, o PlanOptions) error {
	db, l, slug := p.Job.DB, p.Job.List, p.Job.Issue.Slug
	last, err := db.LatestSend(ctx, slug, l.ID)
	if fault.CodeOf(err) == fault.NotFound || (err == nil && o.Force && last.State == store.SendDone) {
		p.Recipients = l.Counts[store.Active]
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case last.State == store.SendDone && o.ResendFailed:
		if last.Counts.Failed == 0 {
			return fault.Errorf(fault.Conflict, "%s went to %s on %s with no failures: nothing to resend", slug, l.Name, when(*last.FinishedAt))
		}
	case last.State == store.SendDone:
		return fault.Errorf(fault.Conflict, "%s went to %s on %s: %s sent, %s failed (--resend-failed retries the failed ones, --force sends to everyone again)",
			slug, l.Name, when(*last.FinishedAt), Thousands(last.Counts.Sent), Thousands(last.Counts.Failed))
	case last.ContentHash != p.Hash && !o.Force:
		return fault.Errorf(fault.Conflict, "%s changed since its send to %s started on %s (%s of %s sent): resuming would send the new text to the rest. "+
			"Undo the change, or resume with the new text using --force", slug, l.Name, when(last.CreatedAt), Thousands(last.Counts.Sent), Thousands(last.Total))
	}
	p.Existing = last
	p.Recipients = last.Counts.Pending()
	if o.ResendFailed {
		p.Recipients = last.Counts.Failed
	}
	return nil
}

// Describe says what the send will do, for the person to confirm.
func (p *Plan) Describe() string {
	l, iss := p.Job.List, p.Job.Issue
	var b strings.Builder
	if p.Existing != nil {
		fmt.Fprintf(&b, "Resuming send #%d of %q (%s) to %s: %s of %s messages left to deliver.\n",
			p.Existing.ID, iss.Title, iss.Slug, l.Name, Thousands(p.Recipients), Thousands(p.Existing.Total))
	} else {
		fmt.Fprintf(&b, "About to send %q (%s) to %s (%s): %s active members.\n", iss.Title, iss.Slug, l.Name, l.Title, Thousands(p.Recipients))
	}
	fmt.Fprintf(&b, "Subject: %s\nFrom: %s <%s>\nVia: %s, %d connection(s)", p.Rendered.Subject, l.FromName, l.FromAddress, p.Via, p.Concurrency)
	if p.Rate > 0 {
		est := time.Duration(float64(p.Recipients) / p.Rate * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(&b, ", at most %g messages/s: about %s", p.Rate, est)
	} else {
		b.WriteString(", no rate limit")
	}
	if c := p.Job.Config.Rate; c.PerHour > 0 || c.PerDay > 0 {
		fmt.Fprintf(&b, " (caps: %d/hour, %d/day; 0 is none)", c.PerHour, c.PerDay)
	}
	return b.String()
}

// Thousands writes n with thousands separators: 1,234,567.
func Thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// when writes a time for a person (as cli's output does).
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
