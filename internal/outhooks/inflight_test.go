package outhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"mailer/internal/outhooks"
	"mailer/internal/store"
)

// blocking is a receiver that holds every request until released, and
// counts the requests it holds at once.
type blocking struct {
	*httptest.Server
	mu           sync.Mutex
	now, most, n int
	arrived      chan struct{}
	release      chan struct{}
}

func newBlocking(t *testing.T) *blocking {
	b := &blocking{arrived: make(chan struct{}, 100), release: make(chan struct{})}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.now++
		b.n++
		b.most = max(b.most, b.now)
		b.mu.Unlock()
		b.arrived <- struct{}{}
		<-b.release
		b.mu.Lock()
		b.now--
		b.mu.Unlock()
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *blocking) counts() (now, most, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.now, b.most, b.n
}

func waitFor(t *testing.T, c chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("no request: %s", what)
	}
}

// TestOneInFlightPerURL: two hooks on URL A and one on URL B, three
// members' events each. B is served in parallel with A (its requests
// arrive while A's first is held), yet A never holds two at once, even
// while B's three requests come and go; in the end every event is delivered.
func TestOneInFlightPerURL(t *testing.T) {
	e := newEnv(t)
	a, b := newBlocking(t), newBlocking(t)
	ha1, ha2 := e.hook(a.URL+"/one", "subscribed"), e.hook(a.URL+"/one", "subscribed")
	hb := e.hook(b.URL, "subscribed")
	for _, m := range []string{"x@example.org", "y@example.org", "z@example.org"} {
		e.set(m, store.Active)
	}
	done := make(chan struct{})
	go func() { e.d.RunOnce(context.Background()); close(done) }()
	waitFor(t, a.arrived, "A's first")
	for i := range 3 {
		waitFor(t, b.arrived, "B's request while A's first is held")
		if now, _, _ := a.counts(); now != 1 {
			t.Fatalf("A holds %d requests while B serves its #%d", now, i+1)
		}
		b.release <- struct{}{}
	}
	for i := range 6 {
		if i > 0 {
			waitFor(t, a.arrived, "A's next")
		}
		if now, most, _ := a.counts(); now != 1 || most != 1 {
			t.Fatalf("A holds %d requests (at most %d)", now, most)
		}
		a.release <- struct{}{}
	}
	<-done
	if _, most, n := a.counts(); most != 1 || n != 6 {
		t.Fatalf("A: %d requests, %d at once", n, most)
	}
	for _, h := range []*store.Hook{ha1, ha2, hb} {
		for _, ev := range e.events(h) {
			if ev.State != store.HookDelivered {
				t.Fatalf("hook %d event %d is %s", h.ID, ev.ID, ev.State)
			}
		}
	}
}

// TestTimeout: a receiver that does not answer in time is an attempt with
// its error recorded, retried later.
func TestTimeout(t *testing.T) {
	e := newEnv(t)
	b := newBlocking(t)
	defer close(b.release) // after the dispatcher gave up: the handler may end
	e.d.Timeout = 50 * time.Millisecond
	h := e.hook(b.URL, "subscribed")
	e.set("ann@example.org", store.Active)
	e.d.RunOnce(context.Background())
	as, _ := e.db.HookAttempts(context.Background(), h.ID, 10)
	if len(as) != 1 || as[0].Status != 0 || as[0].Error != "no answer in time" {
		t.Fatalf("attempts %+v", as)
	}
	if ev := e.events(h)[0]; ev.State != store.HookQueued || ev.Attempts != 1 {
		t.Fatalf("event %+v", ev)
	}
}

// TestPing: `hooks test` sends a ping at once and says how it went; an
// unreachable receiver's ping fails without a retry, its error free of
// the URL's token.
func TestPing(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(*http.Request) int { return 200 })
	h := e.hook(rc.URL, "subscribed")
	a, err := e.d.Ping(context.Background(), h.ID)
	if err != nil || a.Status != 200 {
		t.Fatalf("ping: %+v %v", a, err)
	}
	got := rc.requests()
	if len(got) != 1 || !strings.Contains(string(got[0].Body), `"type":"ping"`) {
		t.Fatalf("requests %v", got)
	}
	verify(t, h.Secret, got[0])
	rc.Close()
	dead := e.hook(rc.URL+"/?token=s3cret", "subscribed")
	a, err = e.d.Ping(context.Background(), dead.ID)
	if err != nil || a.Status != 0 || a.Error == "" || strings.Contains(a.Error, "s3cret") {
		t.Fatalf("ping of a closed server: %+v %v", a, err)
	}
	if ev := e.events(dead)[0]; ev.State != store.HookFailed {
		t.Fatalf("a failed ping is %s", ev.State)
	}
	if _, err := e.d.Ping(context.Background(), 999); err == nil {
		t.Fatal("a ping of no hook")
	}
}

// TestOneProcessPerURL: a second process (its own store handle and
// dispatcher) finds the URL taken while the first holds a request out,
// and sends nothing: no second request to the URL, no event twice — on
// PostgreSQL by an advisory lock, on SQLite by a lock file. Once the first
// is done, the second may take the URL.
func TestOneProcessPerURL(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	first := true
	held, release := make(chan struct{}), make(chan struct{})
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("webhook-id"))
		hold := first
		first = false
		mu.Unlock()
		if hold {
			close(held)
			<-release
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	e.hook(srv.URL, "subscribed")
	e.set("ann@example.org", store.Active)
	e.d.Tick(context.Background())
	waitFor(t, held, "the first process's request")
	other, err := store.Open(context.Background(), e.loc, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.Now = e.clock.Now
	second := &outhooks.Dispatcher{Store: other, Now: e.clock.Now}
	second.RunOnce(context.Background())
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
	if n := count(); n != 1 {
		t.Fatalf("a second process sent %d requests to a URL another holds", n-1)
	}
	close(release)
	e.d.Wait()
	e.clock.Set(e.clock.Now().Add(time.Minute)) // the retry is due
	second.RunOnce(context.Background())
	if n := count(); n != 2 {
		t.Fatalf("after the first let go, the second sent %d", n-1)
	}
}
