package cli

import (
	"strings"
	"testing"
)

// TestBouncesLsAndReactivateRefusals: with nothing bounced, ls says so
// (an empty JSON list, not null); reactivate refuses an unknown list, a
// stranger and an active member, with a request error each.
func TestBouncesLsAndReactivateRefusals(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news")
	e.mustRun("subscribers", "add", "news", "a@example.org")
	if out := e.mustRun("bounces", "ls", "news"); out != "No bounces.\n" {
		t.Fatalf("bounces ls: %q", out)
	}
	if out := e.mustRun("bounces", "ls", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("bounces ls --json: %q", out)
	}
	if _, errOut, code := e.run("bounces", "ls", "nosuch"); code != ExitError || !strings.Contains(errOut, "nosuch") {
		t.Fatalf("bounces ls of an unknown list: %d %s", code, errOut)
	}
	for _, c := range []struct{ list, addr, says string }{
		{"nosuch", "a@example.org", "nosuch"},
		{"news", "b@example.org", "not a member of news"},
		{"news", "a@example.org", "a@example.org is active on news: only bounced or disabled"},
	} {
		if out, errOut, code := e.run("subscribers", "reactivate", c.list, c.addr); code != ExitError || out != "" || !strings.Contains(errOut, c.says) {
			t.Errorf("reactivate %s %s: exit %d, out %q, err %q", c.list, c.addr, code, out, errOut)
		}
	}
}
