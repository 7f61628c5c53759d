package outhooks_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/outhooks"
	"mailer/internal/pgtest"
	"mailer/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// clock is the tests' time: it moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// request is what a receiver got.
type request struct {
	Header http.Header
	Body   []byte
}

// receiver is a real HTTP server on loopback answering with answer.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []request
	answer func(r *http.Request) int
}

func newReceiver(t *testing.T, answer func(*http.Request) int) *receiver {
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, request{Header: r.Header.Clone(), Body: body})
		rc.mu.Unlock()
		w.WriteHeader(rc.answer(r))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.got...)
}

type env struct {
	t     *testing.T
	db    *store.DB
	loc   string // the database, for another process's handle
	clock *clock
	list  *store.List
	d     *outhooks.Dispatcher
}

func newEnv(t *testing.T) *env {
	ctx := context.Background()
	loc := pgtest.Location(t, "hooks.db")
	db, err := store.Open(ctx, loc, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = c.Now
	l, err := db.CreateList(ctx, "news", store.ListSettings{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, loc: loc, clock: c, list: l}
	e.d = &outhooks.Dispatcher{Store: db, Now: c.Now, Jitter: func(max time.Duration) time.Duration { return max }}
	return e
}

func (e *env) hook(url string, events ...string) *store.Hook {
	e.t.Helper()
	secret, err := outhooks.NewSecret()
	if err != nil {
		e.t.Fatal(err)
	}
	h, err := e.db.CreateHook(context.Background(), store.NewHook{URL: url, Secret: secret, Events: events})
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

func (e *env) set(addr string, st store.Status) {
	e.t.Helper()
	a, err := address.Parse(addr)
	if err == nil {
		_, err = e.db.SetStatus(context.Background(), e.list, a, st, store.Evidence{Source: store.SourceWeb})
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) events(h *store.Hook) []*store.HookEvent {
	e.t.Helper()
	evs, err := e.db.HookEvents(context.Background(), h.ID, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}
