package web

import (
	"context"
	"sync"
	"time"
)

// handoff runs the work of subscribe requests after their page is
// answered, one at a time. Whether an address is new (a confirmation to
// compose, store and send) or already a member (nothing to do) must not
// show in how long the form takes to answer: the page would tell what it
// promises not to. So the request does the same work for every address —
// Admit, then a job on this queue — and the state-dependent work happens
// here. A full queue is refused like a reached cap, whatever the address.
type handoff struct {
	jobs    chan func(context.Context)
	pending sync.WaitGroup
	once    sync.Once
}

const (
	handoffDepth = 1024             // requests waiting at most
	handoffTime  = 30 * time.Second // one request's work at most
)

func newHandoff() *handoff { return &handoff{jobs: make(chan func(context.Context), handoffDepth)} }

// add queues job, or says the queue is full.
func (h *handoff) add(job func(context.Context)) bool {
	h.once.Do(func() { go h.run() })
	h.pending.Add(1)
	select {
	case h.jobs <- job:
		return true
	default:
		h.pending.Done()
		return false
	}
}

func (h *handoff) run() {
	for job := range h.jobs {
		ctx, cancel := context.WithTimeout(context.Background(), handoffTime)
		job(ctx)
		cancel()
		h.pending.Done()
	}
}

// Wait returns once every subscribe request handed off so far is done:
// for a clean stop, and for tests that read the mail a request sent.
func (s *Server) Wait() { s.queue.pending.Wait() }
