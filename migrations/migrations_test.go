package migrations

import (
	"io/fs"
	"slices"
	"testing"
)

// TestDialectsInStep: every schema version exists for both databases,
// under the same name, so a database of either kind at version N has the
// same tables and columns.
func TestDialectsInStep(t *testing.T) {
	names := func(fsys fs.FS) []string {
		got, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	lite, pg := names(SQLite), names(Postgres)
	if len(lite) == 0 || !slices.Equal(lite, pg) {
		t.Fatalf("SQLite migrations %v\nPostgreSQL migrations %v", lite, pg)
	}
}
