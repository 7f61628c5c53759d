package delivery_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"mailer/internal/delivery"
)

// memQueue is the queue in memory, for fast tests of the scheduling: the
// store's tests and the SQLite-backed tests here prove the real one.
type memQueue struct {
	t         *testing.T
	mu        sync.Mutex
	jobs      []delivery.Job
	state     map[int64]delivery.Outcome // queued, "sending", sent, deferred, failed
	due       map[int64]time.Time
	exchanges int
	maxSend   int // most rows "sending" at once
	recorded  map[int64]int
}

const sending delivery.Outcome = "sending"

func newMemQueue(t *testing.T, n int) *memQueue {
	q := &memQueue{t: t, state: map[int64]delivery.Outcome{}, due: map[int64]time.Time{}, recorded: map[int64]int{}}
	for i := range n {
		j := delivery.Job{ID: int64(i + 1), SubscriberID: int64(i + 1), Address: fmt.Sprintf("r%04d@example.org", i),
			MessageID: fmt.Sprintf("m%d@example.org", i)}
		q.jobs = append(q.jobs, j)
		q.state[j.ID] = delivery.Requeue
	}
	return q
}

func (q *memQueue) Exchange(_ context.Context, results []delivery.Result, want int, now time.Time) ([]delivery.Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.exchanges++
	for _, r := range results {
		if q.state[r.JobID] != sending {
			q.t.Errorf("result for job %d, which is %q, not sending", r.JobID, q.state[r.JobID])
		}
		q.state[r.JobID] = r.Outcome
		q.due[r.JobID] = r.NextAttempt
		q.recorded[r.JobID]++
		if r.Outcome != delivery.Requeue {
			q.jobs[r.JobID-1].Attempts++
		}
	}
	var out []delivery.Job
	for _, j := range q.jobs {
		if len(out) == want {
			break
		}
		st := q.state[j.ID]
		if st == delivery.Requeue || st == delivery.Deferred && !q.due[j.ID].After(now) {
			q.state[j.ID] = sending
			out = append(out, j)
		}
	}
	n := 0
	for _, st := range q.state {
		if st == sending {
			n++
		}
	}
	q.maxSend = max(q.maxSend, n)
	return out, nil
}

func (q *memQueue) NextDue(context.Context) (time.Time, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var next time.Time
	pending := false
	for id, st := range q.state {
		switch st {
		case delivery.Requeue:
			pending = true
		case delivery.Deferred:
			pending = true
			if next.IsZero() || q.due[id].Before(next) {
				next = q.due[id]
			}
		}
	}
	return next, pending, nil
}

func (q *memQueue) Counts(context.Context) (delivery.Counts, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var c delivery.Counts
	for _, st := range q.state {
		switch st {
		case delivery.Requeue:
			c.Queued++
		case sending:
			c.Sending++
		case delivery.Sent:
			c.Sent++
		case delivery.Deferred:
			c.Deferred++
		case delivery.Failed:
			c.Failed++
		}
	}
	return c, nil
}

// sentUnrecorded is how many jobs the transport delivered that the queue
// does not show as sent yet.
func (q *memQueue) sentUnrecorded(delivered map[int64]int) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for id := range delivered {
		if q.state[id] != delivery.Sent {
			n++
		}
	}
	return n
}

// memTransport delivers into memory and checks the session contract: a
// Send after an announcement is for the announced envelope. It checks,
// at the end of every message, that no more than limit delivered messages
// are unrecorded.
type memTransport struct {
	t         *testing.T
	q         *memQueue
	limit     int
	mu        sync.Mutex
	delivered map[int64]int // by job, from the message text
	byAddr    map[string]int64
	refuse    map[string]*delivery.ReplyError // by recipient, every time
	defer1    map[string]int                  // by recipient: defer this many times
	announced int
	maxUnrec  int
}

func newMemTransport(t *testing.T, q *memQueue, limit int) *memTransport {
	tr := &memTransport{t: t, q: q, limit: limit, delivered: map[int64]int{}, byAddr: map[string]int64{},
		refuse: map[string]*delivery.ReplyError{}, defer1: map[string]int{}}
	for _, j := range q.jobs {
		tr.byAddr[j.Address] = j.ID
	}
	return tr
}

func (tr *memTransport) Dial(context.Context) (delivery.Session, error) {
	return &memSession{tr: tr}, nil
}

type memSession struct {
	tr      *memTransport
	pending *delivery.Envelope
}

func (s *memSession) Send(env delivery.Envelope, msg []byte, gate delivery.Gate) error {
	tr := s.tr
	if s.pending != nil && *s.pending != env {
		tr.t.Errorf("announced %v, then sent %v", *s.pending, env)
	}
	s.pending = nil
	tr.mu.Lock()
	refusal := tr.refuse[env.To]
	if refusal == nil && tr.defer1[env.To] > 0 {
		tr.defer1[env.To]--
		refusal = &delivery.ReplyError{Stage: "RCPT", Code: 451, Message: "4.7.1 try later"}
	}
	tr.mu.Unlock()
	if refusal != nil {
		return refusal // refused before the message: no gate, nothing announced
	}
	var next *delivery.Envelope
	if gate != nil {
		var err error
		if next, err = gate(); err != nil {
			return err
		}
	}
	id := tr.byAddr[env.To]
	tr.mu.Lock()
	tr.delivered[id]++
	if next != nil {
		tr.announced++
	}
	unrec := tr.q.sentUnrecorded(tr.delivered)
	tr.maxUnrec = max(tr.maxUnrec, unrec)
	tr.mu.Unlock()
	if unrec > tr.limit {
		tr.t.Errorf("%d messages delivered and not recorded, more than %d", unrec, tr.limit)
	}
	s.pending = next
	return nil
}

func (s *memSession) Close() error { return nil }

func memCompose(j delivery.Job, buf []byte) ([]byte, string, error) {
	return fmt.Appendf(buf, "To: %s\r\n\r\nhi\r\n", j.Address), "bounces@lists.example.org", nil
}

// TestSchedulingEveryJobOnce: every job is delivered once and recorded
// once, at most Concurrency messages are ever delivered and unrecorded,
// and the rows in flight stay within what each worker may hold.
func TestSchedulingEveryJobOnce(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		const n, conc = 2000, 8
		q := newMemQueue(t, n)
		tr := newMemTransport(t, q, conc)
		err := delivery.New(q, tr, memCompose, delivery.Options{Concurrency: conc, Prefetch: prefetch}).Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		c, _ := q.Counts(context.Background())
		if c.Sent != n || len(tr.delivered) != n {
			t.Fatalf("prefetch=%v: %+v, %d delivered", prefetch, c, len(tr.delivered))
		}
		for id, k := range tr.delivered {
			if k != 1 || q.recorded[id] != 1 {
				t.Fatalf("job %d delivered %d times, recorded %d times", id, k, q.recorded[id])
			}
		}
		holds := conc
		if prefetch {
			holds = 3 * conc
			if tr.announced == 0 {
				t.Fatalf("no message was announced with prefetch")
			}
		} else if tr.announced != 0 {
			t.Fatalf("%d messages announced without prefetch", tr.announced)
		}
		if q.maxSend > holds {
			t.Fatalf("prefetch=%v: %d rows sending at once, more than %d", prefetch, q.maxSend, holds)
		}
		// Results are recorded in batches, not one commit per message.
		if q.exchanges > n {
			t.Fatalf("prefetch=%v: %d exchanges for %d messages", prefetch, q.exchanges, n)
		}
		t.Logf("prefetch=%v: %d exchanges for %d messages, at most %d sending, %d delivered and unrecorded", prefetch, q.exchanges, n, q.maxSend, tr.maxUnrec)
	}
}

// TestSchedulingRefusalsAndRetries: refused recipients fail, deferred ones
// are retried on the schedule until they go, and a failure does not hold
// back a neighbour on the same session.
func TestSchedulingRefusalsAndRetries(t *testing.T) {
	q := newMemQueue(t, 50)
	tr := newMemTransport(t, q, 4)
	tr.refuse["r0003@example.org"] = &delivery.ReplyError{Stage: "RCPT", Code: 550, Message: "5.1.1 no such user"}
	tr.defer1["r0007@example.org"] = 2
	tr.defer1["r0008@example.org"] = 9 // more than the schedule allows
	s := delivery.New(q, tr, memCompose, delivery.Options{Concurrency: 4, Prefetch: true,
		Retry: []time.Duration{5 * time.Millisecond, 10 * time.Millisecond}, MaxAge: time.Hour})
	// r0008's queue time is long ago, so its retries run past the max age.
	q.jobs[8].QueuedAt = time.Now().Add(-time.Hour + 20*time.Millisecond)
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, _ := q.Counts(context.Background())
	if c.Sent != 48 || c.Failed != 2 || c.Pending() != 0 {
		t.Fatalf("counts %+v", c)
	}
	if q.state[4] != delivery.Failed || q.state[9] != delivery.Failed || q.state[8] != delivery.Sent || q.jobs[7].Attempts != 3 {
		t.Fatalf("r3 %s, r8 %s, r7 %s after %d attempts", q.state[4], q.state[9], q.state[8], q.jobs[7].Attempts)
	}
}

// TestSchedulingCapsPause: with an hourly cap the send stops at the cap
// and tells until when; run again an hour later, with the caps rebuilt
// from the delivery times as a restart does, it sends the next ten.
func TestSchedulingCapsPause(t *testing.T) {
	q := newMemQueue(t, 30)
	tr := newMemTransport(t, q, 4)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var sent []time.Time
	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		var pauses []time.Time
		s := delivery.New(q, tr, memCompose, delivery.Options{Concurrency: 4, Prefetch: true, Caps: delivery.NewCaps(10, 0, sent),
			Now: func() time.Time { return now },
			OnResult: func(_ delivery.Job, r delivery.Result) {
				if r.Outcome == delivery.Sent {
					sent = append(sent, r.At)
				}
			},
			OnPause: func(until time.Time) {
				pauses = append(pauses, until)
				cancel()
			}})
		if err := s.Run(ctx); err != context.Canceled {
			t.Fatalf("round %d: Run: %v", round, err)
		}
		c, _ := q.Counts(context.Background())
		want := now.Add(time.Hour)
		if len(pauses) != 1 || !pauses[0].Equal(want) || c.Sent != 10*(round+1) || c.Sending != 0 {
			t.Fatalf("round %d: pauses %v (want until %v), counts %+v", round, pauses, want, c)
		}
		now = now.Add(time.Hour)
	}
}

// TestSchedulingStopGivesBackWhatIsHeld: a send cancelled midway records
// every message that was delivered as sent and gives back every other job
// it held; nothing stays "sending".
func TestSchedulingStopGivesBackWhatIsHeld(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		q := newMemQueue(t, 3000)
		tr := newMemTransport(t, q, 6)
		ctx, cancel := context.WithCancel(context.Background())
		var once sync.Once
		s := delivery.New(q, tr, memCompose, delivery.Options{Concurrency: 6, Prefetch: prefetch,
			OnResult: func(delivery.Job, delivery.Result) {
				if len(q.recorded) > 300 {
					once.Do(cancel)
				}
			}})
		if err := s.Run(ctx); err != context.Canceled {
			t.Fatalf("Run: %v", err)
		}
		c, _ := q.Counts(context.Background())
		if c.Sending != 0 || c.Sent != len(tr.delivered) || c.Sent+c.Queued != 3000 || c.Queued == 0 {
			t.Fatalf("prefetch=%v: counts %+v, %d delivered", prefetch, c, len(tr.delivered))
		}
		for id := range tr.delivered {
			if q.state[id] != delivery.Sent {
				t.Fatalf("job %d delivered but %s", id, q.state[id])
			}
		}
	}
}
