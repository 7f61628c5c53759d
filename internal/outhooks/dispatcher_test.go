package outhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mailer/internal/outhooks"
	"mailer/internal/store"
)

// verify checks a request as a receiver following Standard Webhooks
// would, computing the HMAC itself: the key is the secret's base64 after
// whsec_, the content "{webhook-id}.{webhook-timestamp}.{body}".
func verify(t *testing.T, secret string, r request) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) < 24 {
		t.Fatalf("secret is not whsec_ and 24+ bytes of base64 (%d bytes, %v)", len(key), err)
	}
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	if id == "" || strings.Contains(id, ".") {
		t.Fatalf("webhook-id %q", id)
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		t.Fatalf("webhook-timestamp %q", ts)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(r.Body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if got := r.Header.Get("webhook-signature"); !hmac.Equal([]byte(got), []byte(want)) {
		t.Fatalf("webhook-signature %q, want %q", got, want)
	}
}

// TestDeliveredSigned: a member joining reaches the receiver once, signed,
// with the payload's fields; the attempt is recorded; nothing is sent again.
func TestDeliveredSigned(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(*http.Request) int { return http.StatusNoContent })
	h := e.hook(rc.URL+"/in?token=abc", "subscribed")
	e.set("ann@example.org", store.Active)
	e.d.RunOnce(context.Background())
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	verify(t, h.Secret, got[0])
	if ts := got[0].Header.Get("webhook-timestamp"); ts != strconv.FormatInt(e.clock.Now().Unix(), 10) {
		t.Errorf("timestamp %s is not the attempt's", ts)
	}
	var p struct {
		Type, Timestamp string
		Data            map[string]any
	}
	if err := json.Unmarshal(got[0].Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "subscribed" || p.Data["list"] != "news" || p.Data["address"] != "ann@example.org" || p.Data["status"] != "active" ||
		p.Data["source"] != "web" || !strings.HasPrefix(p.Timestamp, "2026-12-01T09:00:00") {
		t.Errorf("payload %s", got[0].Body)
	}
	if strings.Contains(string(got[0].Body), " ") {
		t.Errorf("payload not compact: %s", got[0].Body)
	}
	evs := e.events(h)
	if len(evs) != 1 || evs[0].State != store.HookDelivered || evs[0].Attempts != 1 || got[0].Header.Get("webhook-id") != "msg_"+strconv.FormatInt(evs[0].ID, 10) {
		t.Fatalf("event %+v", evs)
	}
	as, _ := e.db.HookAttempts(context.Background(), h.ID, 10)
	if len(as) != 1 || as[0].Status != 204 || as[0].Error != "" {
		t.Fatalf("attempts %+v", as)
	}
	e.d.RunOnce(context.Background())
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("a delivered event was sent again: %d requests", n)
	}
}

// TestRetrySchedule: failures are retried after 10 s, 20 s, 40 s … at the
// window's top (jitter returning its maximum), never past 6 h between
// tries; the id stays and the timestamp moves; after 24 h the event fails.
func TestRetrySchedule(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(*http.Request) int { return http.StatusInternalServerError })
	h := e.hook(rc.URL, "subscribed")
	e.set("ann@example.org", store.Active)
	created := e.clock.Now()
	var delays []time.Duration
	for i := 0; i < 30; i++ {
		e.d.RunOnce(context.Background())
		ev := e.events(h)[0]
		if ev.State != store.HookQueued {
			if ev.State != store.HookFailed || !e.clock.Now().Equal(created.Add(outhooks.GiveUpAfter)) {
				t.Fatalf("ended %s at %s", ev.State, e.clock.Now().Sub(created))
			}
			break
		}
		delays = append(delays, ev.NextAttemptAt.Sub(e.clock.Now()))
		e.clock.Set(ev.NextAttemptAt)
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second}
	for i, w := range want {
		if delays[i] != w {
			t.Fatalf("delay %d is %s, want %s (all: %v)", i+1, delays[i], w, delays)
		}
	}
	for i, d := range delays[:len(delays)-1] {
		if d > outhooks.MaxRetry {
			t.Fatalf("delay %d is %s, over the cap", i+1, d)
		}
	}
	if delays[len(delays)-2] != outhooks.MaxRetry {
		t.Errorf("the delays never reached the cap: %v", delays)
	}
	got := rc.requests()
	if len(got) != len(delays)+1 {
		t.Fatalf("%d requests for %d delays", len(got), len(delays))
	}
	if got[0].Header.Get("webhook-id") != got[len(got)-1].Header.Get("webhook-id") ||
		got[0].Header.Get("webhook-timestamp") == got[1].Header.Get("webhook-timestamp") {
		t.Error("a retry must keep the id and take a new timestamp")
	}
	for _, r := range got {
		verify(t, h.Secret, r)
	}
	as, _ := e.db.HookAttempts(context.Background(), h.ID, 100)
	if len(as) != len(got) || as[0].Status != 500 {
		t.Fatalf("%d attempts recorded for %d requests", len(as), len(got))
	}
}

// TestBackoffBounds: with the real jitter every delay lies between 1 s and
// the attempt's window, the window doubling from 10 s to 6 h.
func TestBackoffBounds(t *testing.T) {
	top := func(max time.Duration) time.Duration { return max }
	for n := 1; n <= 40; n++ {
		w := outhooks.Backoff(n, top)
		if want := min(10*time.Second<<min(n-1, 20), outhooks.MaxRetry); w != want {
			t.Fatalf("window %d is %s, want %s", n, w, want)
		}
		seenLow := false
		for range 2000 {
			d := outhooks.Backoff(n, nil)
			if d < time.Second || d > w {
				t.Fatalf("attempt %d: delay %s outside [1s, %s]", n, d, w)
			}
			seenLow = seenLow || d < w/2
		}
		if !seenLow {
			t.Fatalf("attempt %d: no delay in the lower half of %s: not jittered", n, w)
		}
	}
}

// TestRetryAfter: a receiver's Retry-After pushes the next attempt out.
func TestRetryAfter(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(*http.Request) int { return http.StatusServiceUnavailable })
	rc.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	h := e.hook(rc.URL, "subscribed")
	e.set("ann@example.org", store.Active)
	e.d.RunOnce(context.Background())
	if ev := e.events(h)[0]; ev.State != store.HookQueued || ev.NextAttemptAt.Sub(e.clock.Now()) != time.Hour {
		t.Fatalf("event %+v", ev)
	}
}

// TestGoneDisables: 410 Gone fails the event, disables the hook with the
// reason, and later changes queue nothing for it.
func TestGoneDisables(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(*http.Request) int { return http.StatusGone })
	h := e.hook(rc.URL, "subscribed", "unsubscribed")
	e.set("ann@example.org", store.Active)
	e.d.RunOnce(context.Background())
	got, _ := e.db.GetHook(context.Background(), h.ID)
	if got.DisabledAt == nil || !strings.Contains(got.DisabledReason, "410 Gone") {
		t.Fatalf("hook %+v", got)
	}
	if ev := e.events(h)[0]; ev.State != store.HookFailed {
		t.Fatalf("event %+v", ev)
	}
	e.set("ann@example.org", store.Unsubscribed)
	e.d.RunOnce(context.Background())
	if n, evs := len(rc.requests()), e.events(h); n != 1 || len(evs) != 1 {
		t.Fatalf("a disabled hook got %d requests, %d events", n, len(evs))
	}
}

// TestSuperseded: a member who joins and leaves before the receiver is
// reached is sent only the leaving; a newer event replaces one waiting for
// its retry.
func TestSuperseded(t *testing.T) {
	e := newEnv(t)
	var fail atomic.Bool
	fail.Store(true)
	rc := newReceiver(t, func(*http.Request) int {
		if fail.Load() {
			return 500
		}
		return 200
	})
	h := e.hook(rc.URL, "subscribed", "unsubscribed")
	e.set("ann@example.org", store.Active)
	e.set("ann@example.org", store.Unsubscribed)
	e.set("bob@example.org", store.Active)
	fail.Store(false)
	e.d.RunOnce(context.Background())
	types := map[string]string{}
	for _, r := range rc.requests() {
		var p struct {
			Type string
			Data map[string]any
		}
		json.Unmarshal(r.Body, &p)
		types[p.Data["address"].(string)] += p.Type + " "
	}
	if types["ann@example.org"] != "unsubscribed " || types["bob@example.org"] != "subscribed " {
		t.Fatalf("sent %v", types)
	}
	// Bob's next event fails and waits; his leaving replaces it.
	fail.Store(true)
	e.set("bob@example.org", store.Unsubscribed)
	e.d.RunOnce(context.Background())
	e.set("bob@example.org", store.Active)
	fail.Store(false)
	e.clock.Set(e.clock.Now().Add(time.Hour))
	e.d.RunOnce(context.Background())
	got := rc.requests()
	var last struct{ Type string }
	json.Unmarshal(got[len(got)-1].Body, &last)
	if len(got) != 4 || last.Type != "subscribed" {
		t.Fatalf("%d requests, last %s", len(got), last.Type)
	}
	if evs := e.events(h); evs[1].State != store.HookSuperseded || evs[1].Attempts != 1 {
		t.Fatalf("the replaced event: %+v", evs[1])
	}
}
