package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReceiveOwnTroubleIsTemporary: whatever is wrong on our side — a
// config the MTA's user cannot read (the README's old /etc/aliases line
// ran mailer as nobody), no config, a database that is missing or is not
// one — `mailer receive` exits 75 with the reason on standard error, so the
// MTA keeps the reader's mail instead of bouncing it.
func TestReceiveOwnTroubleIsTemporary(t *testing.T) {
	bin := mailerBinary(t)
	e, _, env := newInboundEnv(t)
	mail := "From: zoe@example.com\r\nTo: majordomo@lists.example.org\r\nSubject: s\r\n\r\nsubscribe bpf-updates\r\n"
	rcpt := "RECIPIENT=majordomo@lists.example.org"

	// Run as another user, as Postfix runs aliases as nobody.
	pub, err := os.MkdirTemp("", "mailer-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(pub) })
	os.Chmod(pub, 0o755)
	nobodyBin := filepath.Join(pub, "mailer")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(nobodyBin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nobodyBin, "receive")
	cmd.Env = append(append([]string(nil), env...), rcpt)
	cmd.Stdin = strings.NewReader(mail)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	} else {
		cfg := filepath.Join(e.dir, "mailer.toml")
		os.Chmod(cfg, 0)
		defer os.Chmod(cfg, 0o600)
	}
	err = cmd.Run()
	ee, _ := err.(*exec.ExitError)
	if ee == nil || ee.ExitCode() != 75 || !strings.Contains(out.String(), "permission denied") {
		t.Fatalf("config unreadable: %v\n%s", err, out.String())
	}

	for name, extra := range map[string][]string{
		"no config":            {"MAILER_CONFIG=" + filepath.Join(e.dir, "nope", "mailer.toml")},
		"database dir missing": {"MAILER_DATABASE=" + filepath.Join(e.dir, "gone", "mailer.db")},
		"database is not one":  {"MAILER_DATABASE=" + e.write("junk.db", strings.Repeat("not sqlite\n", 400))},
		"database is a dir":    {"MAILER_DATABASE=" + t.TempDir()},
	} {
		code, out := pipe(t, bin, env, mail, append(extra, rcpt)...)
		if code != 75 || !strings.Contains(out, "mailer:") {
			t.Errorf("%s: exit %d, want 75:\n%s", name, code, out)
		}
	}
}
