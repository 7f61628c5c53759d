package delivery_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"mailer/internal/address"
	"mailer/internal/delivery"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

// fixture is a list with members, a send snapshotted from it, and a test
// SMTP server.
type fixture struct {
	prefetch     bool
	noPipelining bool
	noChunking   bool
	db           *store.DB
	send         *store.Send
	srv          *smtptest.Server
	addr         []string
}

func newFixture(t testing.TB, members int) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(t, "m.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.CreateList(ctx, "news", store.ListSettings{}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, srv: smtptest.Start(t)}
	for i := range members {
		a := address.Address{Local: fmt.Sprintf("reader%03d", i), Domain: "example.org"}
		if _, err := db.SetStatus(ctx, listOf(t, db, "news"), a, store.Active, store.Evidence{Source: store.SourceAdmin}); err != nil {
			t.Fatal(err)
		}
		f.addr = append(f.addr, a.String())
	}
	l, _ := db.GetList(ctx, "news")
	f.send, err = db.StartSend(ctx, store.NewSend{Issue: "issue-01", ListID: l.ID, Subject: "s", ContentHash: "h",
		MsgIDNonce: "n", MsgIDDomain: "lists.example.org", LeaseOwner: "test", LeaseUntil: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) transport(t testing.TB) delivery.Transport {
	tr, err := smtpsend.New(smtpsend.Options{Host: f.srv.Host, Port: f.srv.Port, TLS: smtpsend.TLSNone, NoPipelining: f.noPipelining, NoChunking: f.noChunking,
		Username: f.srv.Username, Password: f.srv.Password,
		ConnectTimeout: 2 * time.Second, CommandTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func compose(j delivery.Job, buf []byte) ([]byte, string, error) {
	buf = fmt.Appendf(buf, "To: %s\r\nMessage-ID: <%s>\r\nSubject: test\r\n\r\nHello %s\r\n", j.Address, j.MessageID, j.Address)
	return buf, "news-bounces@lists.example.org", nil
}

func (f *fixture) sender(t testing.TB, opts delivery.Options) *delivery.Sender {
	if opts.Retry == nil {
		opts.Retry = []time.Duration{20 * time.Millisecond, 40 * time.Millisecond}
	}
	opts.Prefetch = opts.Prefetch || f.prefetch
	return delivery.New(f.db.Queue(f.send.ID), f.transport(t), compose, opts)
}

func (f *fixture) counts(t *testing.T) delivery.Counts {
	c, err := f.db.Queue(f.send.ID).Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEveryMemberGetsExactlyOneCopy(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		t.Run(fmt.Sprintf("prefetch=%v", prefetch), func(t *testing.T) { testEveryMemberGetsExactlyOneCopy(t, prefetch) })
	}
}

func testEveryMemberGetsExactlyOneCopy(t *testing.T, prefetch bool) {
	f := newFixture(t, 60)
	f.prefetch = prefetch
	if err := f.sender(t, delivery.Options{Concurrency: 4}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := f.srv.ByRecipient()
	for _, a := range f.addr {
		if got[a] != 1 {
			t.Errorf("%s received %d copies", a, got[a])
		}
	}
	if len(got) != len(f.addr) {
		t.Errorf("%d recipients received mail, want %d", len(got), len(f.addr))
	}
	if c := f.counts(t); c.Sent != 60 || c.Pending() != 0 {
		t.Errorf("counts %+v", c)
	}
	// Connections are reused: 4 workers, 60 messages.
	if n := f.srv.Sessions.Load(); n > 4 {
		t.Errorf("%d SMTP sessions for 60 messages over 4 workers", n)
	}
	for _, m := range f.srv.Messages() {
		if m.From != "news-bounces@lists.example.org" || !strings.Contains(string(m.Data), "Hello "+m.To[0]) {
			t.Fatalf("message %+v", m)
		}
	}
}

func TestFaultsEndDeliveredOrFailed(t *testing.T) {
	for _, pipelining := range []bool{true, false} {
		t.Run(fmt.Sprintf("pipelining=%v", pipelining), func(t *testing.T) {
			testFaults(t, pipelining)
		})
	}
}

func testFaults(t *testing.T, pipelining bool) {
	f := newFixture(t, 12)
	f.noPipelining = !pipelining
	f.prefetch = pipelining // the pipelined run also prefetches
	srv := f.srv
	srv.Fail(f.addr[0], smtptest.Fault{Stage: "RCPT", Code: 421, Times: 1})
	srv.Fail(f.addr[1], smtptest.Fault{Stage: "RCPT", Code: 451, Times: 2})
	srv.Fail(f.addr[2], smtptest.Fault{Stage: "RCPT", Code: 452, Times: 1})
	srv.Fail(f.addr[3], smtptest.Fault{Stage: "RCPT", Code: 550})
	srv.Fail(f.addr[4], smtptest.Fault{Stage: "DATA", Code: 554})
	srv.Fail(f.addr[5], smtptest.Fault{Stage: "DATA", Drop: true, Times: 1})
	srv.Fail(f.addr[6], smtptest.Fault{Stage: "DATA", Code: 451, Times: 1})
	srv.Fail(f.addr[7], smtptest.Fault{Stage: "RCPT", Delay: 3 * time.Second, Times: 1}) // past the 2s command timeout
	var results []delivery.Result
	s := f.sender(t, delivery.Options{Concurrency: 3, OnResult: func(_ delivery.Job, r delivery.Result) { results = append(results, r) }})
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := f.counts(t)
	if c.Pending() != 0 || c.Sent != 10 || c.Failed != 2 {
		t.Fatalf("counts %+v: want 10 sent, 2 failed, nothing pending", c)
	}
	got := srv.ByRecipient()
	for i, a := range f.addr {
		want := 1
		if i == 3 || i == 4 {
			want = 0
		}
		if got[a] != want {
			t.Errorf("%s (%d) received %d copies, want %d", a, i, got[a], want)
		}
	}
	problems, _ := f.db.Problems(context.Background(), f.send.ID, 10)
	perm := map[string]string{}
	for _, p := range problems {
		perm[p.Address] = p.Reply
	}
	if !strings.HasPrefix(perm[f.addr[3]], "550") || !strings.HasPrefix(perm[f.addr[4]], "554") {
		t.Fatalf("failures not recorded with their replies: %v", perm)
	}
	// The 421 is a throttle: back in line at once, no attempt counted;
	// the other temporary faults wait on the retry schedule.
	deferred, throttled := 0, 0
	for _, r := range results {
		switch {
		case r.Throttled && r.Outcome == delivery.Requeue:
			throttled++
		case r.Outcome == delivery.Deferred:
			deferred++
		}
	}
	if deferred < 6 || throttled != 1 {
		t.Errorf("%d deferrals and %d throttles recorded, want at least 6 and 1", deferred, throttled)
	}
}

func TestDeferredPastMaxAgeFails(t *testing.T) {
	f := newFixture(t, 2)
	f.srv.Fail(f.addr[0], smtptest.Fault{Stage: "RCPT", Code: 451})
	s := f.sender(t, delivery.Options{Concurrency: 1, MaxAge: 100 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a message that is always deferred kept the send waiting forever")
	}
	if c := f.counts(t); c.Failed != 1 || c.Sent != 1 {
		t.Fatalf("counts %+v", c)
	}
}

func TestTokenBucketPacesSending(t *testing.T) {
	f := newFixture(t, 21)
	lim := rate.NewLimiter(50, 1)
	start := time.Now()
	if err := f.sender(t, delivery.Options{Concurrency: 4, Limiter: lim}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// 21 messages at 50/s with a burst of 1 take at least 20 intervals of 20 ms.
	if el := time.Since(start); el < 380*time.Millisecond {
		t.Fatalf("21 messages took %v at 50/s", el)
	}
	if c := f.counts(t); c.Sent != 21 {
		t.Fatalf("counts %+v", c)
	}
}

func TestCapsPauseAndHoldAcrossRestart(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		t.Run(fmt.Sprintf("prefetch=%v", prefetch), func(t *testing.T) { testCapsPauseAndHoldAcrossRestart(t, prefetch) })
	}
}

func testCapsPauseAndHoldAcrossRestart(t *testing.T, prefetch bool) {
	f := newFixture(t, 8)
	f.prefetch = prefetch
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var paused time.Time
	caps := delivery.NewCaps(5, 0, nil)
	err := f.sender(t, delivery.Options{Concurrency: 3, Caps: caps, OnPause: func(u time.Time) { paused = u }}).Run(ctx)
	if err == nil {
		t.Fatal("a capped send finished")
	}
	if c := f.counts(t); c.Sent != 5 || c.Queued != 3 || c.Sending != 0 {
		t.Fatalf("counts %+v: want 5 sent and 3 queued", c)
	}
	if time.Until(paused) < 55*time.Minute {
		t.Fatalf("paused until %v, want about an hour from now", paused)
	}
	// A new run counts from the database: still no room.
	sent, err := f.db.SentSince(context.Background(), time.Now().Add(-time.Hour))
	if err != nil || len(sent) != 5 {
		t.Fatalf("SentSince: %d, %v", len(sent), err)
	}
	if room := delivery.NewCaps(5, 100, sent).Room(time.Now()); room != 0 {
		t.Fatalf("room after restart %d, want 0", room)
	}
}

func TestUnreachableServerFailsFastAndFailsNobody(t *testing.T) {
	f := newFixture(t, 5)
	tr, _ := smtpsend.New(smtpsend.Options{Host: "127.0.0.1", Port: 1, TLS: smtpsend.TLSNone, ConnectTimeout: time.Second})
	s := delivery.New(f.db.Queue(f.send.ID), tr, compose, delivery.Options{Concurrency: 2})
	start := time.Now()
	err := s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "nothing listens on 127.0.0.1:1") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("took %v to give up", time.Since(start))
	}
	if c := f.counts(t); c.Queued != 5 || c.Failed != 0 || c.Sending != 0 {
		t.Fatalf("counts %+v: nobody may be marked failed", c)
	}
}

func TestWrongPasswordFailsFast(t *testing.T) {
	f := newFixture(t, 3)
	f.srv.Username, f.srv.Password = "editor", "right"
	clientTLS := f.srv.EnableTLS(t)
	tr, _ := smtpsend.New(smtpsend.Options{Host: f.srv.Host, Port: f.srv.Port, TLS: smtpsend.TLSStartTLS, TLSConfig: clientTLS, Username: "editor", Password: "wrong"})
	err := delivery.New(f.db.Queue(f.send.ID), tr, compose, delivery.Options{Concurrency: 2}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "refused the login") {
		t.Fatalf("err = %v", err)
	}
	if c := f.counts(t); c.Queued != 3 {
		t.Fatalf("counts %+v", c)
	}
	// With the right password the same queue goes out.
	tr, _ = smtpsend.New(smtpsend.Options{Host: f.srv.Host, Port: f.srv.Port, TLS: smtpsend.TLSStartTLS, TLSConfig: clientTLS, Username: "editor", Password: "right"})
	if err := delivery.New(f.db.Queue(f.send.ID), tr, compose, delivery.Options{Concurrency: 2}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := f.counts(t); c.Sent != 3 {
		t.Fatalf("counts %+v", c)
	}
}

func TestStartTLSRequiredButNotOffered(t *testing.T) {
	f := newFixture(t, 2)
	tr, _ := smtpsend.New(smtpsend.Options{Host: f.srv.Host, Port: f.srv.Port, TLS: smtpsend.TLSStartTLS})
	err := delivery.New(f.db.Queue(f.send.ID), tr, compose, delivery.Options{Concurrency: 1}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v", err)
	}
	if c := f.counts(t); c.Queued != 2 {
		t.Fatalf("counts %+v", c)
	}
}

func TestStopFinishesInFlightAndRecordsAll(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		t.Run(fmt.Sprintf("prefetch=%v", prefetch), func(t *testing.T) { testStopFinishesInFlightAndRecordsAll(t, prefetch) })
	}
}

func testStopFinishesInFlightAndRecordsAll(t *testing.T, prefetch bool) {
	f := newFixture(t, 40)
	f.prefetch = prefetch
	for _, a := range f.addr {
		f.srv.Fail(a, smtptest.Fault{Stage: "DATA", Delay: 30 * time.Millisecond, Times: 1})
	}
	ctx, cancel := context.WithCancel(context.Background())
	results := 0
	stopAfter := func(delivery.Job, delivery.Result) { // Ctrl-C after the fifth message
		if results++; results == 5 {
			cancel()
		}
	}
	err := f.sender(t, delivery.Options{Concurrency: 4, OnResult: stopAfter}).Run(ctx)
	if err == nil {
		t.Fatal("a stopped send reported success")
	}
	c := f.counts(t)
	if c.Sending != 0 || c.Sent == 0 || c.Sent+c.Queued != 40 {
		t.Fatalf("counts %+v: every message is either recorded sent or back in the queue", c)
	}
	if got := len(f.srv.Messages()); got != c.Sent {
		t.Fatalf("server accepted %d, queue says %d sent", got, c.Sent)
	}
	// Resuming sends the rest, and nobody twice.
	if err := f.sender(t, delivery.Options{Concurrency: 4}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, a := range f.addr {
		if n := f.srv.ByRecipient()[a]; n != 1 {
			t.Errorf("%s received %d copies", a, n)
		}
	}
}

func TestRandomFaultsNothingStuck(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		t.Run(fmt.Sprintf("prefetch=%v", prefetch), func(t *testing.T) { testRandomFaultsNothingStuck(t, prefetch) })
	}
}

func testRandomFaultsNothingStuck(t *testing.T, prefetch bool) {
	f := newFixture(t, 150)
	f.prefetch = prefetch
	f.srv.Random = smtptest.RandomFaults(7, 0.3,
		smtptest.Fault{Stage: "RCPT", Code: 421}, smtptest.Fault{Stage: "RCPT", Code: 451},
		smtptest.Fault{Stage: "RCPT", Code: 452}, smtptest.Fault{Stage: "RCPT", Code: 550},
		smtptest.Fault{Stage: "RCPT", Code: 554}, smtptest.Fault{Stage: "RCPT", Drop: true})
	s := f.sender(t, delivery.Options{Concurrency: 4, Retry: []time.Duration{5 * time.Millisecond}, MaxAge: 5 * time.Second, MaxDialFailures: 50})
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := f.counts(t)
	if c.Pending() != 0 || c.Sent+c.Failed != 150 {
		t.Fatalf("counts %+v", c)
	}
	got := f.srv.ByRecipient()
	for _, a := range f.addr {
		if got[a] > 1 {
			t.Errorf("%s received %d copies", a, got[a])
		}
	}
	if len(got) != c.Sent {
		t.Errorf("%d received, %d recorded sent", len(got), c.Sent)
	}
}

func TestCapReachedByTheLastMessageFinishes(t *testing.T) {
	f := newFixture(t, 5)
	done := make(chan error, 1)
	go func() {
		done <- f.sender(t, delivery.Options{Concurrency: 3, Caps: delivery.NewCaps(5, 0, nil)}).Run(context.Background())
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a send that used the whole cap waited for the cap instead of finishing")
	}
	if c := f.counts(t); c.Sent != 5 {
		t.Fatalf("counts %+v", c)
	}
}
