package mailout_test

import (
	"os"
	"testing"

	"mailer/internal/pgtest"
)

// TestMain runs every test on SQLite, then again on PostgreSQL: the caps
// count in the store.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
