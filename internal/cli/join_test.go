package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sinkRecipients counts smtp-sink's dumped transactions per recipient.
func sinkRecipients(t *testing.T, dir string) map[string]int {
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	per := map[string]int{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "X-Rcpt-Args: "); ok {
				per[strings.Trim(strings.Fields(v)[0], "<>")]++
				break
			}
		}
		fh.Close()
	}
	return per
}

// startWorker runs the real binary's send in the background.
func startWorker(t *testing.T, bin string, env []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(bin, append([]string{"send", "issue-small", "--yes"}, args...)...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// TestThreeWorkersOneSend: one `mailer send` and two `mailer send --join`
// deliver one send of 20,000 to Postfix's smtp-sink together; one joiner
// is killed with SIGKILL mid-send. The others finish: every member got the
// issue (counted at the sink), duplicates at most the killed worker's
// concurrency.
func TestThreeWorkersOneSend(t *testing.T) {
	const members, concurrency = 20000, 4
	bin := mailerBinary(t)
	dumps, err := os.MkdirTemp("", "smtp-sink-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dumps) })
	port := startSmtpSink(t, dumps)
	e, _ := newSendEnv(t, members-1)
	e.write("issues/issue-small.md", "---\ntitle: Small\ndate: 2026-11-26\n---\nA short issue, so that 20,000 copies fit on a disk.\n")
	e.env["MAILER_SMTP_PORT"] = strconv.Itoa(port)
	env := e.environ()
	c := strconv.Itoa(concurrency)
	first, firstOut := startWorker(t, bin, env, "--concurrency", c)
	waitUntil(t, "the send to start", func() bool { return len(sinkFiles(dumps)) > 0 })
	joiner, joinOut := startWorker(t, bin, env, "--join", "--concurrency", c)
	victim, _ := startWorker(t, bin, env, "--join", "--concurrency", c)
	waitUntil(t, "a third of the send", func() bool { return len(sinkFiles(dumps)) > members/3 })
	victim.Process.Signal(syscall.SIGKILL)
	victim.Wait()
	for name, w := range map[string]*exec.Cmd{"first": first, "joiner": joiner} {
		if err := w.Wait(); err != nil {
			t.Errorf("%s worker: %v\n%s%s", name, err, firstOut, joinOut)
		}
	}
	per := sinkRecipients(t, dumps)
	dups := 0
	for i := range members - 1 {
		switch n := per[fmt.Sprintf("reader%04d@example.org", i)]; {
		case n == 0:
			t.Errorf("reader%04d never received the issue", i)
		case n > 1:
			dups += n - 1
		}
	}
	if per["alice@example.org"] == 0 {
		t.Error("alice never received the issue")
	}
	if dups > concurrency {
		t.Errorf("%d duplicates after killing a worker with %d connections", dups, concurrency)
	}
	status := e.mustRun("status", "issue-small")
	if !strings.Contains(status, "20,000 of 20,000 sent") && !strings.Contains(status, "20000 of 20000 sent") {
		t.Errorf("status:\n%s", status)
	}
	t.Logf("%d recipients at the sink, %d duplicates\nfirst: %s\njoiner: %s", len(per), dups, lastLine(firstOut), lastLine(joinOut))
}

func sinkFiles(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	return files
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func lastLine(b *bytes.Buffer) string {
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	return lines[len(lines)-1]
}
