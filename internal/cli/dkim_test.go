package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// TestDKIMKeygenAndSignedMail makes a key with the command, configures it,
// and checks that an issue, command answers, a confirmation request and a
// welcome arrive signed and verify against the printed record.
func TestDKIMKeygenAndSignedMail(t *testing.T) {
	e, srv := newSendEnv(t, 1)
	out := e.mustRun("dkim", "keygen", "--selector", "mail2026", "--domain", "example.org", "--algorithm", "ed25519")
	m := regexp.MustCompile(`mail2026\._domainkey\.example\.org\. IN TXT "([^"]+)"`).FindStringSubmatch(out)
	kf := regexp.MustCompile(`key_file = "([^"]+)"`).FindStringSubmatch(out)
	if m == nil || kf == nil {
		t.Fatalf("keygen output:\n%s", out)
	}
	if _, errOut, code := e.run("dkim", "keygen", "--selector", "mail2026", "--domain", "example.org"); code != ExitError || !strings.Contains(errOut, "not overwritten") {
		t.Fatalf("second keygen: %d %s", code, errOut)
	}
	e.env["MAILER_DKIM_DOMAIN"], e.env["MAILER_DKIM_SELECTOR"], e.env["MAILER_DKIM_KEY_FILE"] = "example.org", "mail2026", kf[1]
	e.mustRun("send", "issue-06", "--yes")
	// A command answer goes out through the same transport.
	e.env["RECIPIENT"], e.env["SENDER"] = "majordomo@lists.example.org", "zed@example.com"
	if _, errOut, code := e.runIn("From: zed@example.com\r\nSubject: help\r\n\r\nhelp\r\n", "receive"); code != 0 {
		t.Fatalf("receive: %d %s", code, errOut)
	}
	// So do the confirmation request and the welcome.
	e.env["SENDER"] = "zoe@example.com"
	if _, errOut, code := e.runIn("From: zoe@example.com\r\nSubject: x\r\n\r\nsubscribe bpf-updates\r\n", "receive"); code != 0 {
		t.Fatalf("receive: %d %s", code, errOut)
	}
	for _, msg := range srv.Messages() {
		if h, _ := decodedBody(t, msg.Data); confirmReplyTo.MatchString(h.Get("Reply-To")) {
			e.env["RECIPIENT"] = h.Get("Reply-To")
		}
	}
	if _, errOut, code := e.runIn("From: zoe@example.com\r\nSubject: Re: confirm\r\n\r\nyes\r\n", "receive"); code != 0 {
		t.Fatalf("confirm: %d %s", code, errOut)
	}
	lookup := func(name string) ([]string, error) { return []string{m[1]}, nil }
	welcomed := false
	for _, msg := range srv.Messages() {
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg.Data), &dkim.VerifyOptions{LookupTXT: lookup})
		if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "example.org" {
			t.Fatalf("message to %v: %v %+v", msg.To, err, vs)
		}
		if h, _ := decodedBody(t, msg.Data); strings.HasPrefix(h.Get("Subject"), "Welcome to") && h.Get("List-Id") != "" && h.Get("List-Unsubscribe") != "" {
			welcomed = true
		}
	}
	// The issue to 2 members, the help answer; to zoe the answer to her
	// subscribe, the confirmation request, the welcome and the answer to
	// the confirmation.
	if len(srv.Messages()) != 7 || srv.ByRecipient()["zed@example.com"] != 1 || srv.ByRecipient()["zoe@example.com"] != 4 || !welcomed {
		t.Fatalf("%d messages, %v, a signed welcome with list headers: %v", len(srv.Messages()), srv.ByRecipient(), welcomed)
	}
}
