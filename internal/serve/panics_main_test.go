package serve

import (
	"os"
	"testing"

	"mailer/internal/pgtest"
)

// TestMain runs the tests on SQLite, then on PostgreSQL (the metrics'
// store gauges, the hooks' triggers and the admin listener on both), and
// fails the run when a panic was recovered: still a bug.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
