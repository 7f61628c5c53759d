package cli

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// ruleLine is one line of SpamAssassin's report: points, rule name.
var ruleLine = regexp.MustCompile(`(?m)^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s`)

// spamRules runs Debian's SpamAssassin with network tests off (-L) and
// returns the rules that hit with their points.
func spamRules(t *testing.T, msg []byte) map[string]float64 {
	t.Helper()
	if _, err := exec.LookPath("spamassassin"); err != nil {
		t.Fatal("spamassassin is not installed (.ci/deps installs it)")
	}
	cmd := exec.Command("spamassassin", "-L", "-t")
	cmd.Stdin = strings.NewReader(string(msg))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("spamassassin: %v", err)
	}
	report := string(out)
	i := strings.Index(report, "Content analysis details")
	if i < 0 {
		t.Fatalf("no SpamAssassin report in:\n%s", report)
	}
	rules := map[string]float64{}
	for _, m := range ruleLine.FindAllStringSubmatch(report[i:], -1) {
		pts, _ := strconv.ParseFloat(m[1], 64)
		rules[m[2]] = pts
	}
	if len(rules) == 0 {
		t.Fatalf("no rules read from:\n%s", report[i:])
	}
	return rules
}

// TestSpamAssassinFindsNothing scores what readers get — the issue as
// sent, a confirmation request, the answer to a command — and fails on any
// rule that adds points.
func TestSpamAssassinFindsNothing(t *testing.T) {
	bin := mailerBinary(t)
	e, srv, env := newInboundEnv(t)
	msgs := map[string][]byte{"issue-06": []byte(e.mustRun("render", "issue-06", "--format", "eml", "--to", "alice@example.org"))}
	req := "From: Zoe Reader <zoe@example.com>\r\nTo: majordomo@lists.example.org\r\nSubject: join\r\nMessage-ID: <r1@example.com>\r\nDate: Thu, 26 Nov 2026 09:00:00 +0000\r\n\r\nsubscribe bpf-updates\r\n"
	// A subscribe is answered by the confirmation request alone; a help
	// request gets an answer.
	help := "From: Zoe Reader <zoe@example.com>\r\nTo: majordomo@lists.example.org\r\nSubject: help\r\nMessage-ID: <r2@example.com>\r\nDate: Thu, 26 Nov 2026 09:01:00 +0000\r\n\r\nhelp\r\n"
	for _, m := range []string{req, help} {
		if code, out := pipe(t, bin, env, m, "RECIPIENT=majordomo@lists.example.org", "SENDER=zoe@example.com"); code != 0 {
			t.Fatalf("exit %d: %s", code, out)
		}
	}
	for _, m := range srv.Messages() {
		name := "answer"
		if strings.Contains(string(m.Data), "Subject: Confirm:") {
			name = "confirmation"
		}
		msgs[name] = m.Data
	}
	if len(msgs) != 3 {
		t.Fatalf("got %d messages", len(msgs))
	}
	for name, msg := range msgs {
		for rule, pts := range spamRules(t, msg) {
			if pts > 0 {
				t.Errorf("%s: SpamAssassin rule %s adds %.1f points", name, rule, pts)
			}
		}
	}
}
