package esphooks

import (
	"sync"
	"time"
)

// seen remembers the ids taken within a window, to refuse a replay of a
// signed request while its timestamp still passes. An id older than the
// window needs no memory: its timestamp refuses it. Kept in memory only,
// so a restart forgets; the window is minutes, and the Sink takes a
// repeated event as the same one.
type seen struct {
	mu     sync.Mutex
	window time.Duration
	ids    map[string]time.Time
}

func newSeen(window time.Duration) *seen {
	return &seen{window: window, ids: map[string]time.Time{}}
}

// take records id at now and reports whether it was new.
func (s *seen) take(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, at := range s.ids {
		if now.Sub(at) > s.window {
			delete(s.ids, k)
		}
	}
	if _, ok := s.ids[id]; ok {
		return false
	}
	s.ids[id] = now
	return true
}

// forget lets id in again.
func (s *seen) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, id)
}

// fresh reports whether at is within window of now, either way (a clock
// ahead of ours by more than the window is as suspect as a stale one).
func fresh(at, now time.Time, window time.Duration) bool {
	d := now.Sub(at)
	return d <= window && d >= -window
}
