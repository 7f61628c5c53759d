package cli

import (
	"context"
	"errors"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/store"
)

// These tests check flag and argument parsing alone: runF captures the
// options instead of touching a database.

func TestListsCreateParsesOnlyGivenFlags(t *testing.T) {
	d, _, _ := testDeps(nil, "")
	var got *ListsCreateOptions
	cmd := newCmdListsCreate(d, func(_ context.Context, o *ListsCreateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"news", "--title", "News", "--owner", "a@example.org,b@example.org", "--owner", "c@example.org"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Name != "news" || got.Settings.Title == nil || *got.Settings.Title != "News" {
		t.Fatalf("options %+v", got)
	}
	if got.Settings.Description != nil || got.Settings.From != nil || got.Settings.Policy != nil {
		t.Fatalf("flags not given became settings: %+v", got.Settings)
	}
	if got.Settings.Owners == nil || len(*got.Settings.Owners) != 3 {
		t.Fatalf("owners %v", got.Settings.Owners)
	}
}

func TestSubscribersLsParsesStatus(t *testing.T) {
	d, _, _ := testDeps(nil, "")
	var got *SubscribersLsOptions
	cmd := newCmdSubscribersLs(d, func(_ context.Context, o *SubscribersLsOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"news", "--status", "pending", "--json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.List != "news" || got.Status != store.Pending || !got.JSON {
		t.Fatalf("options %+v", got)
	}
	cmd = newCmdSubscribersLs(d, func(context.Context, *SubscribersLsOptions) error { t.Fatal("ran with a bad status"); return nil })
	cmd.SetArgs([]string{"news", "--status", "nope"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); ExitCode(err) != ExitUsage {
		t.Fatalf("bad status: %v (exit %d)", err, ExitCode(err))
	}
}

func TestSubscribersAddNameNeedsOneAddress(t *testing.T) {
	d, _, _ := testDeps(nil, "")
	cmd := newCmdSubscribersAdd(d, func(context.Context, *SubscribersAddOptions) error { t.Fatal("ran"); return nil })
	cmd.SetArgs([]string{"news", "a@example.org", "b@example.org", "--name", "A"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); ExitCode(err) != ExitUsage {
		t.Fatalf("err %v", err)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{fault.Errorf(fault.Invalid, "bad"), ExitError},
		{fault.Errorf(fault.NotFound, "no list"), ExitError},
		{fault.Errorf(fault.Conflict, "exists"), ExitError},
		{fault.Errorf(fault.Unavailable, "database busy"), ExitTempFail},
		{fault.Errorf(fault.Internal, "bug"), ExitSoftware},
		{fault.Errorf(fault.Unauthenticated, "wrong password"), ExitNoPerm},
		{fault.Errorf(fault.Forbidden, "not your list"), ExitNoPerm},
		{errors.New("unexpected"), ExitSoftware},
		{usageErrorf("wrong"), ExitUsage},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
