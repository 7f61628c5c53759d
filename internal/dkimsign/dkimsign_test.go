package dkimsign

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"mailer/internal/delivery"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
)

const message = "From: BPF updates <alex@example.org>\r\nTo: alice@example.org\r\nSubject: [bpf-updates] BPF updates 06\r\n" +
	"Date: Thu, 26 Nov 2026 09:00:00 +0000\r\nMessage-ID: <x@lists.example.org>\r\n" +
	"List-Unsubscribe: <https://lists.example.org/u/abc>,\r\n <mailto:bpf-updates-unsubscribe+abc@lists.example.org>\r\n" +
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
	"Hello   world  \r\n.leading dot\r\n\r\n"

func newSigner(t testing.TB, algorithm string) *Signer {
	k, err := Generate(algorithm)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := PEM(k)
	path := filepath.Join(t.TempDir(), "dkim.key")
	os.WriteFile(path, pemBytes, 0o600)
	s, err := Load("example.org", "mail2026", path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verify checks msg with go-msgauth, answering the DNS query with s's record.
func verify(t *testing.T, s *Signer, msg []byte) error {
	t.Helper()
	rec, _ := s.TXTRecord()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: func(name string) ([]string, error) {
		if name != s.RecordName() {
			t.Errorf("looked up %q, want %q", name, s.RecordName())
		}
		return []string{rec}, nil
	}})
	if err != nil {
		return err
	}
	if len(vs) != 1 {
		t.Fatalf("%d signatures", len(vs))
	}
	return vs[0].Err
}

func TestSignAndVerify(t *testing.T) {
	for _, alg := range []string{"rsa", "ed25519"} {
		t.Run(alg, func(t *testing.T) {
			s := newSigner(t, alg)
			signed, err := s.Sign([]byte(message))
			if err != nil {
				t.Fatal(err)
			}
			head := string(signed[:bytes.Index(signed, []byte("\r\n\r\n"))])
			for _, h := range []string{"c=relaxed/relaxed", "d=example.org", "s=mail2026", "list-unsubscribe-post", "list-unsubscribe:", "from", "message-id"} {
				if !strings.Contains(strings.ToLower(strings.ReplaceAll(head, "\r\n ", "")), strings.ToLower(h)) {
					t.Errorf("signature lacks %q:\n%s", h, head)
				}
			}
			if err := verify(t, s, signed); err != nil {
				t.Fatalf("does not verify: %v", err)
			}
			tampered := bytes.Replace(signed, []byte("Hello"), []byte("Hullo"), 1)
			if err := verify(t, s, tampered); err == nil {
				t.Fatal("a changed body still verifies")
			}
			// Through a real SMTP server: it still verifies on arrival.
			srv := smtptest.Start(t)
			tr, _ := smtpsend.New(smtpsend.Options{Host: srv.Host, Port: srv.Port, TLS: smtpsend.TLSNone})
			sess, err := Transport(tr, s).Dial(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if err := delivery.SendOne(sess, "b@example.org", "alice@example.org", []byte(message)); err != nil {
				t.Fatal(err)
			}
			sess.Close()
			if err := verify(t, s, srv.Messages()[0].Data); err != nil {
				t.Fatalf("does not verify after SMTP: %v", err)
			}
			if alg == "rsa" {
				pythonVerify(t, s, srv.Messages()[0].Data)
			}
		})
	}
}

// pythonVerify checks the signature with an independent implementation:
// Debian's python3-dkim (dkimpy), with the DNS answer given in code.
func pythonVerify(t *testing.T, s *Signer, msg []byte) {
	t.Helper()
	if _, err := os.Stat("/usr/lib/python3/dist-packages/dkim"); err != nil {
		t.Fatalf("python3-dkim is needed for this test (apt-get install python3-dkim, as .ci/run does): %v", err)
	}
	rec, _ := s.TXTRecord()
	script := `import sys, dkim
rec = sys.argv[1].encode()
ok = dkim.verify(sys.stdin.buffer.read(), dnsfunc=lambda name, timeout=5: rec)
print("ok" if ok else "fail")`
	cmd := exec.Command("/usr/bin/python3", "-c", script, rec)
	cmd.Stdin = bytes.NewReader(msg)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("dkimpy: %v %s", err, out)
	}
}

func TestLoadRefusesBadKeys(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "junk"), []byte("not a key"), 0o600)
	if _, err := Load("example.org", "s", filepath.Join(dir, "junk")); err == nil {
		t.Fatal("junk accepted")
	}
	if _, err := Load("example.org", "s", filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file accepted")
	}
}

// BenchmarkSign is the per-message cost of signing a 30 KB issue: RSA is
// the slowest step of a send; Ed25519 is much cheaper.
func BenchmarkSign(b *testing.B) {
	msg := []byte(message + strings.Repeat("x", 30000) + "\r\n")
	for _, alg := range []string{"rsa", "ed25519"} {
		b.Run(alg, func(b *testing.B) {
			s := newSigner(b, alg)
			for b.Loop() {
				if _, err := s.Sign(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
