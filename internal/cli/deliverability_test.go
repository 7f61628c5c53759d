package cli

import (
	"strings"
	"testing"

	"mailer/internal/smtptest"
)

// TestPermanentRefusalCountsAsBounce: a 5xx while sending is a hard bounce;
// reaching the threshold stops mail; reactivate resumes it.
func TestPermanentRefusalCountsAsBounce(t *testing.T) {
	e, srv := newSendEnv(t, 2)
	srv.Fail("reader0001@example.org", smtptest.Fault{Stage: "RCPT", Code: 550})
	e.env["MAILER_BOUNCE_THRESHOLD"] = "1"
	out := e.mustRun("send", "issue-06", "--yes")
	if !strings.Contains(out, "2 sent, 1 failed") {
		t.Fatalf("send:\n%s", out)
	}
	out = e.mustRun("bounces", "ls", "bpf-updates")
	if !strings.Contains(out, "reader0001@example.org") || !strings.Contains(out, "bounced") || !strings.Contains(out, "refused when sending: 550") {
		t.Fatalf("bounces ls:\n%s", out)
	}
	if _, errOut, code := e.run("subscribers", "reactivate", "bpf-updates", "alice@example.org"); code != ExitError || !strings.Contains(errOut, "only bounced or disabled") {
		t.Fatalf("reactivating an active member: %d %s", code, errOut)
	}
	e.mustRun("subscribers", "reactivate", "bpf-updates", "reader0001@example.org")
	if out := e.mustRun("bounces", "ls"); !strings.Contains(out, "No bounces.") {
		t.Fatalf("after reactivate:\n%s", out)
	}
	if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "active"); !strings.Contains(out, "reader0001@example.org") {
		t.Fatalf("not active:\n%s", out)
	}
}
