package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startSmtpSink runs Postfix's smtp-sink on 127.0.0.1, dumping each
// transaction into dir (none when dir is empty), and returns its port.
func startSmtpSink(t testing.TB, dir string) int {
	t.Helper()
	bin, err := exec.LookPath("smtp-sink")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/smtp-sink"); serr == nil {
			bin = "/usr/sbin/smtp-sink"
		} else {
			t.Fatalf("Postfix's smtp-sink is needed for this test (apt-get install postfix, as .ci/run does): %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	args := []string{"127.0.0.1:" + strconv.Itoa(port), "256"}
	if dir != "" {
		args = append([]string{"-d", filepath.Join(dir, "%H%M%S.")}, args...)
		os.Chmod(dir, 0o777)
	}
	if os.Geteuid() == 0 {
		// smtp-sink refuses to run as root without dropping privileges.
		args = append([]string{"-u", "nobody"}, args...)
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return port
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("smtp-sink did not start: %s", stderr.String())
	return 0
}

// TestSendToPostfixSmtpSink sends to Postfix's own test server and checks
// what it dumped: one parseable message per member.
func TestSendToPostfixSmtpSink(t *testing.T) {
	// Not t.TempDir(): smtp-sink drops to "nobody", who cannot enter the
	// test's private temporary directory.
	dumps, err := os.MkdirTemp("", "smtp-sink-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dumps) })
	port := startSmtpSink(t, dumps)
	e, _ := newSendEnv(t, 49)
	e.env["MAILER_SMTP_PORT"] = strconv.Itoa(port)
	out := e.mustRun("send", "issue-06", "--yes", "--concurrency", "4")
	if !strings.Contains(out, "50 sent, 0 failed") {
		t.Fatalf("send:\n%s", out)
	}
	files, _ := filepath.Glob(filepath.Join(dumps, "*"))
	perRcpt := map[string]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rcpt string
		sc := bufio.NewScanner(bytes.NewReader(raw))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "X-Rcpt-Args: "); ok {
				rcpt = strings.Trim(strings.Fields(v)[0], "<>")
				break
			}
		}
		perRcpt[rcpt]++
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(msg.Header.Get("To"), rcpt) {
			t.Fatalf("%s: headers %v", f, msg.Header)
		}
	}
	if len(perRcpt) != 50 {
		t.Fatalf("smtp-sink saw %d recipients in %d transactions, want 50", len(perRcpt), len(files))
	}
	for r, n := range perRcpt {
		if n != 1 {
			t.Errorf("%s: %d copies", r, n)
		}
	}
	if perRcpt["alice@example.org"] != 1 {
		t.Errorf("alice missing: %v", fmt.Sprint(len(perRcpt)))
	}
}
