package cli

import (
	"regexp"
	"strings"
	"testing"

	"mailer/internal/smtptest"
)

func TestDoctor(t *testing.T) {
	e := newTestEnv(t)
	out, _, code := e.run("doctor")
	if code != ExitError || !strings.Contains(out, "FIX  base_url") || !strings.Contains(out, "FIX  DKIM is off") {
		t.Fatalf("fresh config: exit %d\n%s", code, out)
	}
	keygen := e.mustRun("dkim", "keygen", "--selector", "s1", "--domain", "news.example.com")
	kf := regexp.MustCompile(`key_file = "([^"]+)"`).FindStringSubmatch(keygen)
	e.env["MAILER_BASE_URL"] = "https://lists.news.example.com"
	e.env["MAILER_LIST_HOST"] = "lists.news.example.com"
	e.env["MAILER_DKIM_DOMAIN"], e.env["MAILER_DKIM_SELECTOR"], e.env["MAILER_DKIM_KEY_FILE"] = "news.example.com", "s1", kf[1]
	e.mustRun("lists", "create", "weekly", "--from", "Editor <editor@news.example.com>")
	e.mustRun("lists", "create", "other", "--from", "x@elsewhere.example.org")
	out, _, code = e.run("doctor")
	if code != ExitError || !strings.Contains(out, "FIX  list other: From x@elsewhere.example.org is not on the DKIM domain") ||
		!strings.Contains(out, "OK   list weekly: From editor@news.example.com is on the DKIM domain") {
		t.Fatalf("misaligned From: exit %d\n%s", code, out)
	}
	e.mustRun("lists", "rm", "other")
	out, _, code = e.run("doctor")
	if code != 0 || strings.Contains(out, "FIX") {
		t.Fatalf("all set: exit %d\n%s", code, out)
	}
	for _, want := range []string{`s1._domainkey.news.example.com. IN TXT "v=DKIM1; k=rsa; p=`, `_dmarc.news.example.com. IN TXT "v=DMARC1; p=none`,
		`lists.news.example.com. IN TXT "v=spf1`, "IN MX"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor lacks %q:\n%s", want, out)
		}
	}
}

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
