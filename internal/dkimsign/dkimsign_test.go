package dkimsign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// verify checks every signature of msg with go-msgauth, answering the DNS
// queries with s's records.
func verify(t *testing.T, s *Signer, msg []byte) error {
	t.Helper()
	recs, _ := s.Records()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: func(name string) ([]string, error) {
		if recs[name] == "" {
			t.Errorf("looked up %q, want one of %v", name, recs)
		}
		return []string{recs[name]}, nil
	}})
	if err != nil {
		return err
	}
	if len(vs) != len(s.keys) {
		t.Fatalf("%d signatures, want %d", len(vs), len(s.keys))
	}
	for _, v := range vs {
		if v.Err != nil {
			return v.Err
		}
	}
	return nil
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
			pythonVerify(t, s, srv.Messages()[0].Data)
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
	if _, err := os.Stat("/usr/lib/python3/dist-packages/nacl"); err != nil {
		t.Fatalf("python3-nacl is needed for Ed25519 (apt-get install python3-nacl, as .ci/deps does): %v", err)
	}
	recs, _ := s.Records()
	js, _ := json.Marshal(recs)
	// Every signature in the message must verify, each by its own index.
	script := `import sys, json, dkim
recs = {k.encode() + b".": v.encode() for k, v in json.loads(sys.argv[1]).items()}
msg = sys.stdin.buffer.read()
d = dkim.DKIM(msg)
n = len([l for l in msg.split(b"\r\n\r\n")[0].split(b"\r\n") if l.lower().startswith(b"dkim-signature:")])
ok = n == int(sys.argv[2]) and all(d.verify(idx=i, dnsfunc=lambda name, timeout=5: recs.get(name if name.endswith(b".") else name + b".")) for i in range(n))
print("ok" if ok else "fail %d" % n)`
	cmd := exec.Command("/usr/bin/python3", "-c", script, string(js), fmt.Sprint(len(s.keys)))
	cmd.Stdin = bytes.NewReader(msg)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("dkimpy: %v %s", err, out)
	}
}

// TestDualSigning: with an Ed25519 and an RSA key every message carries
// both signatures, and both verify, in go-msgauth and in dkimpy.
func TestDualSigning(t *testing.T) {
	s := newSigner(t, "ed25519")
	k, _ := Generate("rsa")
	pemBytes, _ := PEM(k)
	path := filepath.Join(t.TempDir(), "rsa.key")
	os.WriteFile(path, pemBytes, 0o600)
	if err := s.AddKey("rsa2026", path); err != nil {
		t.Fatal(err)
	}
	signed, err := s.Sign([]byte(message))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(signed, []byte("DKIM-Signature:")); n != 2 {
		t.Fatalf("%d signatures", n)
	}
	for _, want := range []string{"a=ed25519-sha256", "a=rsa-sha256", "s=mail2026", "s=rsa2026"} {
		if !bytes.Contains(signed, []byte(want)) {
			t.Fatalf("no %s in %s", want, signed)
		}
	}
	if err := verify(t, s, signed); err != nil {
		t.Fatal(err)
	}
	pythonVerify(t, s, signed)
}

// TestPrimedBodySignsTheSame: a Signer primed with a shared start of the
// body signs exactly as the plain one (same clock, deterministic
// signatures), for messages that start with it and ones that do not; the
// real issue verifies in dkimpy.
func TestPrimedBodySignsTheSame(t *testing.T) {
	issue, err := os.ReadFile("testdata/issue-06.eml")
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"ed25519", "rsa"} {
		s := newSigner(t, alg)
		s.Now = func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }
		_, body := split(issue)
		primed := s.ForBody(body[:len(body)/2])
		for _, msg := range [][]byte{issue, bytes.Replace(issue, []byte("To: "), []byte("To: x"), 1), []byte(message)} {
			plain, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			fast, err := primed.AppendSigned([]byte("prefix"), msg)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(plain, fast[len("prefix"):]) {
				t.Fatalf("primed and plain signatures differ:\n%s\n%s", plain[:600], fast[6:606])
			}
			if err := verify(t, s, fast[len("prefix"):]); err != nil {
				t.Fatal(err)
			}
		}
		signed, _ := primed.AppendSigned(nil, issue)
		pythonVerify(t, s, signed)
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
	msg, err := os.ReadFile("testdata/issue-06.eml")
	if err != nil {
		b.Fatal(err)
	}
	_, body := split(msg)
	shared := body[:bytes.Index(body, []byte("alice@example.org"))] // up to the first personal value, as a send does
	for _, alg := range []string{"rsa", "ed25519"} {
		s := newSigner(b, alg)
		b.Run(alg, func(b *testing.B) {
			var out []byte
			for b.Loop() {
				if out, err = s.AppendSigned(out[:0], msg); err != nil {
					b.Fatal(err)
				}
			}
		})
		primed := s.ForBody(shared)
		b.Run(alg+"-primed", func(b *testing.B) {
			var out []byte
			for b.Loop() {
				if out, err = primed.AppendSigned(out[:0], msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSignInPlace: signing in place learns the size of the fields from the
// first message, then writes them in front of the next ones without
// copying; the output is what AppendSigned makes, and it verifies.
func TestSignInPlace(t *testing.T) {
	issue, err := os.ReadFile("testdata/issue-06.eml")
	if err != nil {
		t.Fatal(err)
	}
	s := newSigner(t, "ed25519")
	s.Now = func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }
	_, body := split(issue)
	primed := s.ForBody(body[:len(body)/2])
	want, _ := primed.AppendSigned(nil, issue)
	first, n, err := primed.SignInPlace(append([]byte(nil), issue...), 0)
	if err != nil || !bytes.Equal(first, want) || n != len(want)-len(issue) {
		t.Fatalf("first: %v, %d bytes of fields", err, n)
	}
	buf := append(make([]byte, n), issue...)
	out, m, err := primed.SignInPlace(buf, n)
	if err != nil || m != n || &out[0] != &buf[0] || !bytes.Equal(out, want) {
		t.Fatalf("in place: %v, %d bytes, same buffer %v, equal %v", err, m, &out[0] == &buf[0], bytes.Equal(out, want))
	}
	if err := verify(t, s, out); err != nil {
		t.Fatal(err)
	}
	// Room of the wrong size: a new buffer, still right.
	out, m, err = primed.SignInPlace(append(make([]byte, n+5), issue...), n+5)
	if err != nil || m != n || !bytes.Equal(out, want) {
		t.Fatalf("wrong room: %v, %d", err, m)
	}
}
