package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"mailer/internal/fault"
)

// TestCopyRefusesAnUnknownTable: a table of the schema that copyTables
// does not name stops the copy before anything is written, and the error
// names it, so a new migration cannot make `db copy` drop its rows.
func TestCopyRefusesAnUnknownTable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, err := Open(ctx, filepath.Join(dir, "src.db"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := Open(ctx, filepath.Join(dir, "dst.db"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := src.CreateList(ctx, "news", ListSettings{}); err != nil {
		t.Fatal(err)
	}
	if _, err := src.sql.ExecContext(ctx, `CREATE TABLE later_feature (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	_, err = src.CopyTo(ctx, dst)
	if fault.CodeOf(err) != fault.Internal || !strings.Contains(err.Error(), "later_feature") {
		t.Fatalf("copy with a table it does not know: %v", err)
	}
	if _, err := dst.GetList(ctx, "news"); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("the refused copy wrote the list: %v", err)
	}
}
