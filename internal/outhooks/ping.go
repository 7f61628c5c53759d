package outhooks

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"mailer/internal/store"
)

// Ping sends a hook a "ping" event now (`mailer hooks test`) and returns
// the attempt. A ping is tried once, never retried, and goes out even to a
// disabled hook, to see whether its receiver is back.
func (d *Dispatcher) Ping(ctx context.Context, hookID int64) (store.HookAttempt, error) {
	d.init()
	h, err := d.Store.GetHook(ctx, hookID)
	if err != nil {
		return store.HookAttempt{}, err
	}
	now := d.Now()
	payload, _ := json.Marshal(map[string]any{"type": "ping", "timestamp": now.UTC().Format(time.RFC3339Nano),
		"data": map[string]any{"hook": h.ID, "url": h.URL}})
	// Queued as due only after the give-up time, so that a running `mailer
	// serve` does not send it too while this process does.
	ev, err := d.Store.QueueHookEvent(ctx, h.ID, "ping", "ping:"+strconv.FormatInt(now.UnixNano(), 10), string(payload), now.Add(GiveUpAfter))
	if err != nil {
		return store.HookAttempt{}, err
	}
	ev.URL, ev.Secret = h.URL, h.Secret
	return d.deliver(ctx, ev, false)
}
