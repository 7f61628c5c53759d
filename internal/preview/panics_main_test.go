package preview

import (
	"os"
	"testing"

	"mailer/internal/pgtest"
)

// TestMain fails the run when a panic was recovered: still a bug.
func TestMain(m *testing.M) { os.Exit(pgtest.Plain(m)) }
