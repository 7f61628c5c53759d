package cli

import (
	"bytes"
	"encoding/json"
	"os/exec"
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
	// The issue to 2 members, the help answer; to zoe the confirmation
	// request (which carries the answer to her subscribe), the welcome and
	// the answer to the confirmation.
	if len(srv.Messages()) != 6 || srv.ByRecipient()["zed@example.com"] != 1 || srv.ByRecipient()["zoe@example.com"] != 3 || !welcomed {
		t.Fatalf("%d messages, %v, a signed welcome with list headers: %v", len(srv.Messages()), srv.ByRecipient(), welcomed)
	}
}

// TestDualSignedSendVerifies: with an Ed25519 key and an RSA key, every
// copy of the issue (signed as it is composed, its shared body hashed once)
// and a test copy carry both signatures, and both verify in go-msgauth and
// in dkimpy, an independent implementation.
func TestDualSignedSendVerifies(t *testing.T) {
	e, srv := newSendEnv(t, 5)
	recs := map[string]string{}
	keys := map[string]string{}
	for _, alg := range []string{"ed25519", "rsa"} {
		out := e.mustRun("dkim", "keygen", "--selector", alg+"2026", "--domain", "example.org", "--algorithm", alg)
		// An RSA record is printed as several quoted strings: DNS joins them.
		m := regexp.MustCompile(`(\S+)\. IN TXT (.+)`).FindStringSubmatch(out)
		kf := regexp.MustCompile(`key_file = "([^"]+)"`).FindStringSubmatch(out)
		if m == nil || kf == nil {
			t.Fatalf("keygen output:\n%s", out)
		}
		var rec strings.Builder
		for _, part := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(m[2], -1) {
			rec.WriteString(part[1])
		}
		recs[m[1]], keys[alg] = rec.String(), kf[1]
	}
	e.env["MAILER_DKIM_DOMAIN"] = "example.org"
	e.env["MAILER_DKIM_SELECTOR"], e.env["MAILER_DKIM_KEY_FILE"] = "ed255192026", keys["ed25519"]
	e.env["MAILER_DKIM_DUAL_SELECTOR"], e.env["MAILER_DKIM_DUAL_KEY_FILE"] = "rsa2026", keys["rsa"]
	e.mustRun("send", "issue-06", "--yes", "--concurrency", "3")
	e.mustRun("send", "issue-06", "--test", "editor@example.org")
	msgs := srv.Messages()
	if len(msgs) != 7 {
		t.Fatalf("%d messages", len(msgs))
	}
	js, _ := json.Marshal(recs)
	for _, msg := range msgs {
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg.Data), &dkim.VerifyOptions{LookupTXT: func(name string) ([]string, error) {
			return []string{recs[name]}, nil
		}})
		if err != nil || len(vs) != 2 || vs[0].Err != nil || vs[1].Err != nil {
			for _, v := range vs {
				t.Logf("signature %s: %v", v.Domain, v.Err)
			}
			t.Fatalf("message to %v: %v, %d signatures\n%s", msg.To, err, len(vs), msg.Data[:min(len(msg.Data), 1500)])
		}
		cmd := exec.Command("/usr/bin/python3", "-c", `import sys, json, dkim
recs = {k.encode() + b".": v.encode() for k, v in json.loads(sys.argv[1]).items()}
msg = sys.stdin.buffer.read()
d = dkim.DKIM(msg)
ok = all(d.verify(idx=i, dnsfunc=lambda name, timeout=5: recs.get(name if name.endswith(b".") else name + b".")) for i in range(2))
print("ok" if ok else "fail")`, string(js))
		cmd.Stdin = bytes.NewReader(msg.Data)
		if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Fatalf("dkimpy, message to %v: %v %s", msg.To, err, out)
		}
	}
}
