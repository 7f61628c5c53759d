package cli

import (
	"strings"
	"testing"
)

// TestSendAtTwiceNeedsReplace: a second `send --at` of a scheduled issue
// is refused with both times and leaves the first schedule; --replace
// moves it and says which it replaced; --replace needs --at.
func TestSendAtTwiceNeedsReplace(t *testing.T) {
	e, _ := newSendEnv(t, 2)
	e.mustRun("send", "issue-06", "--at", "2026-11-26T11:00:00Z")
	_, errOut, code := e.run("send", "issue-06", "--at", "2026-11-26T14:30:00Z")
	if code != ExitError || !strings.Contains(errOut, "already scheduled") || !strings.Contains(errOut, "2026-11-26 11:00 UTC") ||
		!strings.Contains(errOut, "2026-11-26 14:30 UTC") || !strings.Contains(errOut, "--replace") {
		t.Fatalf("second --at: exit %d\n%s", code, errOut)
	}
	if st := e.mustRun("status"); !strings.Contains(st, "s1 issue-06 to bpf-updates: scheduled for 2026-11-26 11:00 UTC") || strings.Contains(st, "14:30") {
		t.Fatalf("after the refusal:\n%s", st)
	}
	out := e.mustRun("send", "issue-06", "--at", "2026-11-26T14:30:00Z", "--replace")
	if !strings.Contains(out, "Replaced schedule #1") || !strings.Contains(out, "schedule #2") {
		t.Fatalf("--replace:\n%s", out)
	}
	st := e.mustRun("status")
	if !strings.Contains(st, "s2 issue-06 to bpf-updates: scheduled for 2026-11-26 14:30 UTC") || strings.Contains(st, "s1 issue-06") {
		t.Fatalf("after --replace:\n%s", st)
	}
	if _, errOut, code := e.run("send", "issue-06", "--replace", "--yes"); code != ExitUsage || !strings.Contains(errOut, "--at") {
		t.Fatalf("--replace without --at: exit %d\n%s", code, errOut)
	}
}
