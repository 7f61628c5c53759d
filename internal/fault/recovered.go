package fault

import (
	"sync/atomic"
)

// A recovered panic keeps a request or a mail from taking the process
// down, but it is still a bug: every edge that recovers one counts it
// here, and the tests' main (internal/pgtest.Main) fails the run when any
// was counted, as mox's TestMain does with its panic metric.
var recovered atomic.Int64

// Recovered counts a panic an edge recovered from and returns it as an
// Internal error to answer with.
func Recovered(v any) *Error {
	recovered.Add(1)
	return Errorf(Internal, "internal error (a bug): %v", v)
}

// RecoveredPanics is how many panics were recovered in this process.
func RecoveredPanics() int64 { return recovered.Load() }
