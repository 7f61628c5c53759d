package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// TestDKIMKeygenAndSignedMail makes a key with the command, configures it,
// and checks that an issue and a command answer arrive signed and verify
// against the printed record.
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
	lookup := func(name string) ([]string, error) { return []string{m[1]}, nil }
	for _, msg := range srv.Messages() {
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg.Data), &dkim.VerifyOptions{LookupTXT: lookup})
		if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "example.org" {
			t.Fatalf("message to %v: %v %+v", msg.To, err, vs)
		}
	}
	if len(srv.Messages()) != 3 || srv.ByRecipient()["zed@example.com"] != 1 {
		t.Fatalf("%d messages", len(srv.Messages()))
	}
}
