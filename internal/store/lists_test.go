package store_test

import (
	"context"
	"strings"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/store"
)

func ptr[T any](v T) *T { return &v }

func TestNormalizeListName(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "bpf-updates", want: "bpf-updates"},
		{in: "BPF-Updates", want: "bpf-updates"},
		{in: "news.2026", want: "news.2026"},
		{in: "", err: "empty"},
		{in: "-x", err: "lower-case letters"},
		{in: "x-", err: "lower-case letters"},
		{in: "bpf updates", err: "lower-case letters"},
		{in: "bpf@updates", err: "lower-case letters"},
		{in: "news-request", err: "ends in \"-request\""},
		{in: "news-bounces", err: "ends in"},
		{in: "majordomo", err: "reserved"},
		{in: strings.Repeat("a", store.MaxListNameLen+1), err: "longer than"},
	}
	for _, tt := range tests {
		got, err := store.NormalizeListName(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NormalizeListName(%q) = %q, %v; want error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeListName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCreateGetUpdateList(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	l, err := db.CreateList(ctx, "bpf-updates", store.ListSettings{
		Title:  ptr("BPF updates"),
		From:   ptr("Alexander <alex@example.org>"),
		Owners: &[]string{"Owner@Example.org"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.Title != "BPF updates" || l.FromAddress != "alex@example.org" || l.FromName != "Alexander" || l.Policy != store.PolicyConfirm {
		t.Fatalf("created %+v", l)
	}
	if len(l.Owners) != 1 || l.Owners[0] != "Owner@example.org" || !l.IsOwner("owner@EXAMPLE.org") {
		t.Fatalf("owners = %v", l.Owners)
	}
	if _, err := db.CreateList(ctx, "BPF-updates", store.ListSettings{}); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("duplicate create: %v", err)
	}
	l, err = db.UpdateList(ctx, "bpf-updates", store.ListSettings{Policy: ptr(store.PolicyOpen), Description: ptr("Weekly BPF news")})
	if err != nil {
		t.Fatal(err)
	}
	if l.Policy != store.PolicyOpen || l.Description != "Weekly BPF news" || l.Title != "BPF updates" || len(l.Owners) != 1 {
		t.Fatalf("after update %+v", l)
	}
	if !l.UpdatedAt.After(l.CreatedAt) {
		t.Fatalf("updated_at %v not after created_at %v", l.UpdatedAt, l.CreatedAt)
	}
	if _, err := db.UpdateList(ctx, "bpf-updates", store.ListSettings{Policy: ptr(store.Policy("anyone"))}); fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("bad policy: %v", err)
	}
	if _, err := db.UpdateList(ctx, "bpf-updates", store.ListSettings{Title: ptr("x\r\nBcc: a@b.c")}); fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("title with CRLF: %v", err)
	}
}

func TestUnknownList(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	_, err := db.GetList(ctx, "x")
	if fault.CodeOf(err) != fault.NotFound || err.Error() != `no list named "x"` {
		t.Fatalf("err = %v", err)
	}
}

func TestDeleteListRefusesMembersUnlessForced(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustList(t, db, "news")
	news := listOf(t, db, "news")
	if _, err := db.SetStatus(ctx, news, mustAddr(t, "a@example.org"), store.Active, store.Evidence{Source: store.SourceAdmin}); err != nil {
		t.Fatal(err)
	}
	err := db.DeleteList(ctx, listOf(t, db, "news"), false, store.Evidence{Source: store.SourceAdmin})
	if fault.CodeOf(err) != fault.Conflict || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("delete with members: %v", err)
	}
	if err := db.DeleteList(ctx, listOf(t, db, "news"), true, store.Evidence{Source: store.SourceAdmin, Operator: "root"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetList(ctx, "news"); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("list still there: %v", err)
	}
	log, err := db.AuditLog(ctx, news, "") // the log outlives the list
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[1].Action != "list-deleted" || log[1].Operator != "root" || log[1].OldStatus != store.Active {
		t.Fatalf("audit after delete: %+v", log)
	}
}
