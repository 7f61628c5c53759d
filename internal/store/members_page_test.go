package store_test

import (
	"context"
	"testing"

	"mailer/internal/store"
)

// TestMemberPage pages through a list by cursor, filters by status and by
// a piece of the address or name (LIKE's wildcards taken literally), and
// says when more follow.
func TestMemberPage(t *testing.T) {
	ctx := context.Background()
	db := mustDBWithList(t, "news")
	l := listOf(t, db, "news")
	for _, a := range []string{"ann@example.org", "bob@example.org", "cy_x@example.org", "dee@example.net", "eve@example.org"} {
		db.SetStatus(ctx, l, mustAddr(t, a), store.Active, admin)
	}
	db.SetStatus(ctx, l, mustAddr(t, "eve@example.org"), store.Unsubscribed, admin)
	var seen []string
	after := int64(0)
	for pages := 0; ; pages++ {
		ms, more, err := db.MemberPage(ctx, l, store.MemberQuery{After: after, Limit: 2})
		if err != nil || pages > 3 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, m := range ms {
			seen = append(seen, m.Address)
			after = m.SubscriberID
		}
		if !more {
			break
		}
	}
	if len(seen) != 5 || seen[0] != "ann@example.org" || seen[4] != "eve@example.org" {
		t.Fatalf("paged %v", seen)
	}
	count := func(q store.MemberQuery) int {
		q.Limit = 10
		ms, _, err := db.MemberPage(ctx, l, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}
	for q, want := range map[store.MemberQuery]int{
		{Status: store.Active}: 4, {Status: store.Unsubscribed}: 1, {Search: "EXAMPLE.NET"}: 1,
		{Search: "_"}: 1, {Search: "%"}: 0, {Search: "example", Status: store.Unsubscribed}: 1,
	} {
		if got := count(q); got != want {
			t.Errorf("%+v: %d members, want %d", q, got, want)
		}
	}
}
