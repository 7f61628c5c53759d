package delivery_test

import (
	"context"
	"testing"

	"mailer/internal/store"
)

// listOf resolves a list by name for the store's member-level methods,
// which take the list itself.
func listOf(tb testing.TB, db *store.DB, name string) *store.List {
	tb.Helper()
	l, err := db.GetList(context.Background(), name)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}
