package store_test

import (
	"context"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/store"
)

// TestAssetsRepublish: publishing an issue's files again replaces them,
// files are kept per list and issue, and an unknown one is NotFound.
func TestAssetsRepublish(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a := mustList(t, db, "alpha")
	mustList(t, db, "beta")
	if err := db.SaveAssets(ctx, a.ID, "issue-1", []store.Asset{{Path: "img/x.png", ContentType: "image/png", Data: []byte("one")}}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveAssets(ctx, a.ID, "issue-1", []store.Asset{{Path: "img/x.png", ContentType: "image/png", Data: []byte("two")}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetAsset(ctx, listOf(t, db, "alpha"), "issue-1", "img/x.png")
	if err != nil || string(got.Data) != "two" || got.ContentType != "image/png" {
		t.Fatalf("after republishing: %+v, %v", got, err)
	}
	for _, c := range []struct{ list, slug, path string }{{"beta", "issue-1", "img/x.png"}, {"alpha", "issue-2", "img/x.png"}, {"alpha", "issue-1", "img/y.png"}} {
		if _, err := db.GetAsset(ctx, listOf(t, db, c.list), c.slug, c.path); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("%v: %v, want NotFound", c, err)
		}
	}
}
