package store_test

import (
	"context"
	"testing"

	"mailer/internal/store"
)

// A bounce report counts against its send once per member, as hard when
// any report about that message was, and only for a member the send
// mailed: a send id read from a report is the reporter's word.
func TestSendBouncesCountOncePerMailedMember(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := startTestSend(t, db, 3)
	l := listOf(t, db, "news")
	hard := func(want int) {
		t.Helper()
		if n, err := db.SendHardBounces(ctx, s.ID); err != nil || n != want {
			t.Fatalf("hard bounces of the send: %d, %v; want %d", n, err, want)
		}
	}
	record := func(send int64, l *store.List, addr string, isHard, want bool) {
		t.Helper()
		ok, err := db.RecordSendBounce(ctx, l, send, addr, isHard)
		if err != nil || ok != want {
			t.Fatalf("RecordSendBounce(%d, %s, %s, hard %v) = %v, %v; want %v", send, l.Name, addr, isHard, ok, err, want)
		}
	}
	record(s.ID, l, "ra@example.org", false, true)
	hard(0)
	record(s.ID, l, "RA@example.org", true, true) // the same member, now for good
	hard(1)
	db.RecordSendBounce(ctx, l, s.ID, "ra@example.org", true) // a second report of it
	db.RecordSendBounce(ctx, l, s.ID, "ra@example.org", false)
	hard(1)
	record(s.ID, l, "rb@example.org", true, true)
	hard(2)
	record(s.ID, l, "pending@example.org", true, false) // on the list, not in the send
	record(s.ID, l, "stranger@example.org", true, false)
	record(s.ID+1, l, "rc@example.org", true, false) // no such send
	other := mustList(t, db, "other")
	record(s.ID, other, "rc@example.org", true, false) // the send is not that list's
	hard(2)
}
