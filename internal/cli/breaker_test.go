package cli

import (
	"strings"
	"testing"

	"mailer/internal/smtptest"
)

// TestBreakerPauseShowsAndNeedsForce: a send to a stale list (40% refused
// 550) pauses itself; the run's error, sends ls and status name the rate
// and the reason; sends resume refuses without --force, naming the reason,
// and goes on with it.
func TestBreakerPauseShowsAndNeedsForce(t *testing.T) {
	e, srv := newSendEnv(t, 300)
	stale := map[string]bool{}
	for i := range 300 {
		stale[readerAddr(i)] = i%5 == 1 || i%5 == 3
	}
	srv.Random = func(rcpt string) *smtptest.Fault {
		if stale[strings.ToLower(rcpt)] {
			return &smtptest.Fault{Stage: "RCPT", Code: 550}
		}
		return nil
	}
	_, errOut, code := e.run("send", "issue-06", "--yes")
	if code != ExitTempFail || !strings.Contains(errOut, "paused itself (circuit breaker:") {
		t.Fatalf("send exited %d:\n%s", code, errOut)
	}
	const shown = "paused by the circuit breaker: "
	for _, cmd := range [][]string{{"sends", "ls"}, {"status", "issue-06"}} {
		if out := e.mustRun(cmd...); !strings.Contains(out, shown) || !strings.Contains(out, "% hard bounces, over the limit of 10%") {
			t.Fatalf("%s:\n%s", strings.Join(cmd, " "), out)
		}
	}
	_, errOut, code = e.run("sends", "resume", "1")
	if code == 0 || !strings.Contains(errOut, "of the last 100 attempts were refused for good") || !strings.Contains(errOut, "mailer sends resume 1 --force") {
		t.Fatalf("resume without --force exited %d:\n%s", code, errOut)
	}
	if out := e.mustRun("sends", "resume", "1", "--force"); !strings.Contains(out, "Resumed send #1") {
		t.Fatalf("resume --force:\n%s", out)
	}
	if out := e.mustRun("sends", "ls"); strings.Contains(out, "paused") {
		t.Fatalf("sends ls after resume --force:\n%s", out)
	}
}
