package auth_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"mailer/internal/auth"
	"mailer/internal/pgtest"
	"mailer/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// clock is the tests' time, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// cheap are argon2id costs that keep the tests quick; the hashes are
// real argon2id all the same.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}

var operator = store.Evidence{Source: store.SourceAdmin, Operator: "tester"}

type env struct {
	t   *testing.T
	db  *store.DB
	svc *auth.Service
	clk *clock
}

// newEnv is a Service over a new database of this run's backend, the
// store and the Service on one hand-moved clock; the site owner is
// site@example.org, sessions idle out after 30 minutes and end after 12
// hours.
func newEnv(t *testing.T) *env {
	t.Helper()
	db, err := store.Open(context.Background(), pgtest.Location(t, "mailer.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	svc := auth.New(db, auth.Options{Owner: "Site Owner <site@example.org>", Idle: 30 * time.Minute, Max: 12 * time.Hour,
		Params: cheap, Now: clk.Now})
	return &env{t: t, db: db, svc: svc, clk: clk}
}

func (e *env) password(email, pw string, admin *bool) {
	e.t.Helper()
	if err := e.svc.SetPassword(context.Background(), email, pw, admin, operator); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) list(name string, owners ...string) {
	e.t.Helper()
	if _, err := e.db.CreateList(context.Background(), name, store.ListSettings{Owners: &owners}); err != nil {
		e.t.Fatal(err)
	}
}

func bcryptOf(t *testing.T, password string) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
