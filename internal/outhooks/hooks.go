package outhooks

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"mailer/internal/fault"
	"mailer/internal/store"
)

// Events are the event types a hook may ask for. The membership ones are
// the statuses the triggers of migration 0023 watch (active is
// "subscribed"); send.done is a send that finished or was cancelled.
var Events = []string{"subscribed", "unsubscribed", "bounced", "complained", "send.done"}

// ParseEvents reads --events: a comma-separated list of Events, each once.
func ParseEvents(s string) ([]string, error) {
	var out []string
	for _, e := range strings.Split(s, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if !slices.Contains(Events, e) {
			return nil, fault.Errorf(fault.Invalid, "unknown event %q (want some of %s)", e, strings.Join(Events, ", "))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, fault.Errorf(fault.Invalid, "no events given (want some of %s)", strings.Join(Events, ", "))
	}
	return out, nil
}

// CheckURL accepts an absolute http or https URL with a host. The URL is
// not echoed back: it may carry the receiver's token.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return fault.Errorf(fault.Invalid, "the hook's URL must be an absolute http:// or https:// URL with a host and no user:password")
	}
	return nil
}

// Creator stores hooks.
type Creator interface {
	CreateHook(ctx context.Context, h store.NewHook) (*store.Hook, error)
}

// Add checks a new hook, makes its secret and stores it; the returned
// Hook's Secret is shown once, to the person who added it.
func Add(ctx context.Context, db Creator, rawURL, events string, l *store.List, by store.Evidence) (*store.Hook, error) {
	if err := CheckURL(rawURL); err != nil {
		return nil, err
	}
	evs, err := ParseEvents(events)
	if err != nil {
		return nil, err
	}
	secret, err := NewSecret()
	if err != nil {
		return nil, err
	}
	return db.CreateHook(ctx, store.NewHook{URL: rawURL, Secret: secret, Events: evs, List: l, By: by})
}

// Viewer reads hooks with their attempts.
type Viewer interface {
	Hooks(ctx context.Context) ([]*store.Hook, error)
	HookAttempts(ctx context.Context, hookID int64, limit int) ([]store.HookAttempt, error)
}

// View is one hook as `hooks ls` and the console show it: the hook, its
// queue depth (in Hook) and its latest attempts, newest first.
type View struct {
	*store.Hook
	Attempts []store.HookAttempt `json:"attempts"`
}

// List returns every hook with its last attempts.
func List(ctx context.Context, db Viewer, attempts int) ([]View, error) {
	hs, err := db.Hooks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(hs))
	for _, h := range hs {
		as, err := db.HookAttempts(ctx, h.ID, attempts)
		if err != nil {
			return nil, err
		}
		out = append(out, View{Hook: h, Attempts: as})
	}
	return out, nil
}
