package cli

import (
	"os"
	"strings"
	"testing"
)

// A spam complaint piped in at complaints@ stops the member it names by
// VERP, is counted by `bounces ls`, makes a re-add need --force and is not
// answered (exit 0); the site's own bounce address takes mail in instead
// of refusing it with "no list named mailer" (exit 67).
func TestComplaintsThroughReceive(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news")
	e.mustRun("subscribers", "add", "news", "carol@example.net", "dave@example.net")
	raw, err := os.ReadFile("../bounce/testdata/arf/sisimai-p5-arf-02.eml")
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(raw), "Content-Type: message/rfc822\n\n")
	report := head + "Content-Type: message/rfc822\n\nReturn-Path: <news-bounces+carol=example.net@lists.example.org>\n" +
		"To: redacted@example.net\nSubject: News\n\nHi\n\n--_----------=F000000000000000000000--\n"
	e.env["RECIPIENT"], e.env["SENDER"] = "complaints@lists.example.org", ""
	if _, errOut, code := e.runIn(report, "receive"); code != 0 {
		t.Fatalf("receive a complaint: %d %s", code, errOut)
	}
	if out := e.mustRun("bounces", "ls", "news"); !strings.Contains(out, "news: 1 spam complaint(s)") {
		t.Fatalf("bounces ls:\n%s", out)
	}
	if out, errOut, code := e.run("subscribers", "add", "news", "carol@example.net"); !strings.Contains(out+errOut, "as spam") || !strings.Contains(out+errOut, "--force") {
		t.Fatalf("re-add without --force: %d %q %q", code, out, errOut)
	}
	e.env["RECIPIENT"] = "mailer-bounces@lists.example.org"
	if _, errOut, code := e.runIn(string(raw), "receive"); code != 0 {
		t.Fatalf("mail to the site's bounce address: exit %d %s", code, errOut)
	}
}
