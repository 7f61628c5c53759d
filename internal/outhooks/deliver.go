package outhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"mailer/internal/store"
)

// deliver makes one attempt at ev, records it and moves the event: 2xx
// delivered; 410 Gone fails it and disables the hook (Standard Webhooks:
// the receiver wants no more); anything else is retried (retry false: a
// ping, failed at once).
func (d *Dispatcher) deliver(ctx context.Context, ev *store.HookEvent, retry bool) (store.HookAttempt, error) {
	at := d.Now()
	began := time.Now()
	status, wait, err := d.post(ctx, ev, at)
	a := store.HookAttempt{EventID: ev.ID, EventType: ev.Type, At: at, Status: status, Duration: time.Since(began)}
	if err != nil {
		a.Error = err.Error()
	}
	out := d.outcome(ev, a, wait, retry)
	// The request is out: record it even when the process is stopping.
	rctx := context.WithoutCancel(ctx)
	if err := d.Store.RecordHookAttempt(rctx, a, out); err != nil {
		return a, err
	}
	if status == http.StatusGone {
		reason := fmt.Sprintf("the receiver answered 410 Gone at %s", at.UTC().Format(time.RFC3339))
		if err := d.Store.DisableHook(rctx, ev.HookID, reason); err != nil {
			return a, err
		}
	}
	d.Log.Info("event webhook", "hook", ev.HookID, "event", ev.ID, "type", ev.Type, "status", status, "error", a.Error,
		"outcome", string(out.State))
	return a, nil
}

// outcome decides what the attempt leaves the event as.
func (d *Dispatcher) outcome(ev *store.HookEvent, a store.HookAttempt, wait time.Duration, retry bool) store.HookOutcome {
	switch {
	case a.Error == "" && a.Status >= 200 && a.Status < 300:
		return store.HookOutcome{State: store.HookDelivered}
	case a.Status == http.StatusGone || !retry:
		return store.HookOutcome{State: store.HookFailed}
	}
	deadline := ev.CreatedAt.Add(GiveUpAfter)
	if !a.At.Before(deadline) {
		return store.HookOutcome{State: store.HookFailed}
	}
	delay := max(Backoff(ev.Attempts+1, d.Jitter), min(wait, MaxRetry))
	next := a.At.Add(delay)
	if next.After(deadline) {
		next = deadline // one last try at the end of the day
	}
	return store.HookOutcome{State: store.HookQueued, Next: next}
}

// post sends ev signed and returns the status and the Retry-After the
// receiver asked for (seconds form, RFC 9110 §10.2.3), or why no answer came.
func (d *Dispatcher) post(ctx context.Context, ev *store.HookEvent, at time.Time) (int, time.Duration, error) {
	var body bytes.Buffer
	if err := json.Compact(&body, []byte(ev.Payload)); err != nil {
		return 0, 0, fmt.Errorf("the event's payload is not JSON: %v", err)
	}
	// The id stays the same over retries: receivers use it as an
	// idempotency key (Standard Webhooks, "Webhook metadata").
	id := "msg_" + strconv.FormatInt(ev.ID, 10)
	sig, err := Sign(ev.Secret, id, at.Unix(), body.Bytes())
	if err != nil {
		return 0, 0, err
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, ev.URL, &body)
	if err != nil {
		return 0, 0, errors.New("the hook's URL is not usable")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mailer-webhooks")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := d.Client.Do(req)
	if err != nil {
		return 0, 0, cause(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	wait := time.Duration(0)
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		wait = time.Duration(s) * time.Second
	}
	return resp.StatusCode, wait, nil
}

// cause is a transport error without the URL, which may carry a
// receiver's token in its query: the error is stored and shown.
func cause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return errors.New("no answer in time")
		}
		return ue.Err
	}
	return err
}
