package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mailer/internal/app"
	"mailer/internal/sending"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

// testDaemon is serve's delivery daemon on the test's config, with its
// own store handle and a clock the test sets.
type testDaemon struct {
	*sending.Daemon
	db  *store.DB
	now time.Time
	log *bytes.Buffer
}

func (e *testEnv) daemon(t *testing.T) *testDaemon {
	t.Helper()
	d, _, _ := testDeps(e.env, "")
	cfg, err := d.Config()
	if err != nil {
		t.Fatal(err)
	}
	db, err := d.OpenStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	td := &testDaemon{db: db, now: d.Now(), log: &bytes.Buffer{}}
	d.Now = func() time.Time { return td.now }
	db.Now = d.Now
	log := slog.New(slog.NewTextHandler(&syncWriter{w: td.log}, nil))
	in, err := app.Build(cfg, db, app.Options{Now: d.Now, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	td.Daemon = in.Daemon()
	return td
}

// TestScheduledSend: a send scheduled for 11:00 is rendered and checked
// when scheduled, left alone at 10:30, delivered at 11:01; an issue edited
// after scheduling is refused at its time, with the reason.
func TestScheduledSend(t *testing.T) {
	e, srv := newSendEnv(t, 2)
	out := e.mustRun("send", "issue-06", "--at", "2026-11-26T11:00:00Z")
	if !strings.Contains(out, "Scheduled issue-06") || !strings.Contains(out, "schedule #1") {
		t.Fatalf("schedule:\n%s", out)
	}
	if ls := e.mustRun("sends", "ls"); !strings.Contains(ls, "s1") || !strings.Contains(ls, "scheduled") {
		t.Fatalf("sends ls:\n%s", ls)
	}
	if st := e.mustRun("status"); !strings.Contains(st, "s1 issue-06 to bpf-updates: scheduled for 2026-11-26 11:00 UTC") {
		t.Fatalf("status:\n%s", st)
	}
	if _, errOut, code := e.run("send", "issue-06", "--at", "2026-11-26 09:00"); code != ExitUsage || !strings.Contains(errOut, "in the past") {
		t.Fatalf("a time in the past: exit %d %s", code, errOut)
	}
	dm := e.daemon(t)
	dm.now = time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
	if err := dm.Tick(context.Background()); err != nil || len(srv.Messages()) != 0 {
		t.Fatalf("before its time: %v, %d messages", err, len(srv.Messages()))
	}
	dm.now = time.Date(2026, 11, 26, 11, 1, 0, 0, time.UTC)
	if err := dm.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 3 {
		t.Fatalf("at its time: %d messages, want 3\n%s", n, dm.log)
	}
	if st := e.mustRun("status", "issue-06"); !strings.Contains(st, "3 of 3 sent") {
		t.Fatalf("status:\n%s", st)
	}

	// Scheduled, then edited: refused at its time.
	e.write("issues/issue-07.md", strings.Replace(e.read("issues/issue-06.md"), "title:", "title: Seven\nx:", 1))
	e.mustRun("send", "issue-07", "--at", "2026-11-26T12:00:00Z")
	e.write("issues/issue-07.md", e.read("issues/issue-07.md")+"\nA late correction.\n")
	dm.now = time.Date(2026, 11, 26, 12, 1, 0, 0, time.UTC)
	dm.Tick(context.Background())
	if n := len(srv.Messages()); n != 3 {
		t.Fatalf("an edited issue went out: %d messages", n)
	}
	if ls := e.mustRun("sends", "ls", "--all"); !strings.Contains(ls, "refused: the issue changed after it was scheduled") {
		t.Fatalf("sends ls --all:\n%s", ls)
	}
}

// TestDaemonFinishesWhatATerminalLeft: the terminal's send stops while a
// message waits for its retry (the server said 451); nobody runs it again,
// and the daemon delivers it when the retry is due.
func TestDaemonFinishesWhatATerminalLeft(t *testing.T) {
	e, srv := newSendEnv(t, 2)
	e.env["MAILER_SEND_RETRY"] = "1h"
	srv.Fail("reader0000@example.org", smtptest.Fault{Stage: "RCPT", Code: 451, Times: 1})
	d, _, _ := testDeps(e.env, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- Run(ctx, d, []string{"send", "issue-06", "--yes"}) }()
	// The terminal is closed once only the deferred message is left.
	watch := e.daemon(t)
	for deadline := time.Now().Add(10 * time.Second); ; {
		sends, _ := watch.db.Sends(context.Background(), "issue-06")
		if len(sends) == 1 && sends[0].Counts.Deferred == 1 && sends[0].Counts.Sent == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the send never came to wait: %+v", sends)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != ExitTempFail {
		t.Fatalf("the stopped send exited %d", code)
	}
	if n := srv.ByRecipient()["reader0000@example.org"]; n != 0 {
		t.Fatal("setup: the deferred reader already has it")
	}
	if st := e.mustRun("status", "issue-06"); !strings.Contains(st, "waiting for retry, next at 2026-11-26 11:00 UTC") {
		t.Fatalf("status:\n%s", st)
	}
	dm := e.daemon(t)
	dm.now = time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
	dm.Tick(context.Background())
	if n := srv.ByRecipient()["reader0000@example.org"]; n != 0 {
		t.Fatal("the daemon retried before the retry was due")
	}
	dm.now = time.Date(2026, 11, 26, 11, 5, 0, 0, time.UTC)
	if err := dm.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := srv.ByRecipient()["reader0000@example.org"]; n != 1 {
		t.Fatalf("after the retry delay the deferred reader got %d copies\n%s", n, dm.log)
	}
	for addr, n := range srv.ByRecipient() {
		if n != 1 {
			t.Errorf("%s got %d copies", addr, n)
		}
	}
}

// TestTwoDaemonsOneDelivers: two daemons on one database tick at once;
// the lease and the schedule's state let one deliver; nobody gets two.
func TestTwoDaemonsOneDelivers(t *testing.T) {
	e, srv := newSendEnv(t, 40)
	for i := range 40 {
		srv.Fail(readerAddr(i), smtptest.Fault{Stage: "DATA", Delay: 2 * time.Millisecond})
	}
	e.mustRun("send", "issue-06", "--at", "2026-11-26T11:00:00Z")
	a, b := e.daemon(t), e.daemon(t)
	var wg sync.WaitGroup
	for _, dm := range []*testDaemon{a, b} {
		dm.now = time.Date(2026, 11, 26, 11, 1, 0, 0, time.UTC)
		wg.Add(1)
		go func() { defer wg.Done(); dm.Tick(context.Background()) }()
	}
	wg.Wait()
	// Whatever one left (it lost a race), a later tick finishes.
	a.Tick(context.Background())
	got := srv.ByRecipient()
	if len(got) != 41 {
		t.Fatalf("%d readers got the issue, want 41", len(got))
	}
	for addr, n := range got {
		if n != 1 {
			t.Errorf("%s got %d copies", addr, n)
		}
	}
}

func (e *testEnv) read(name string) string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, name))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func readerAddr(i int) string { return fmt.Sprintf("reader%04d@example.org", i) }

// TestPauseAndResume: pausing a running send stops it after the messages
// in flight; the daemon leaves a paused send alone; resumed, it finishes,
// and nobody gets two copies.
func TestPauseAndResume(t *testing.T) {
	e, srv := newSendEnv(t, 60)
	for i := range 60 {
		srv.Fail(readerAddr(i), smtptest.Fault{Stage: "DATA", Delay: 20 * time.Millisecond})
	}
	d, _, errOut := testDeps(e.env, "")
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), d, []string{"send", "issue-06", "--yes", "--concurrency", "1"})
	}()
	watch := e.daemon(t)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if sends, _ := watch.db.Sends(context.Background(), "issue-06"); len(sends) == 1 && sends[0].Counts.Sent >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the send did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.mustRun("sends", "pause", "1")
	if code := <-done; code != ExitTempFail || !strings.Contains(errOut.String(), "paused") {
		t.Fatalf("the paused run exited %d:\n%s", code, errOut.String())
	}
	sent := len(srv.Messages())
	if sent >= 61 {
		t.Fatal("the send finished before the pause")
	}
	if ls := e.mustRun("sends", "ls"); !strings.Contains(ls, "paused") {
		t.Fatalf("sends ls:\n%s", ls)
	}
	watch.now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	watch.Tick(context.Background())
	if n := len(srv.Messages()); n != sent {
		t.Fatalf("the daemon delivered a paused send: %d -> %d", sent, n)
	}
	e.mustRun("sends", "resume", "1")
	watch.Tick(context.Background())
	got := srv.ByRecipient()
	if len(got) != 61 {
		t.Fatalf("after resuming %d readers got it, want 61", len(got))
	}
	for addr, n := range got {
		if n != 1 {
			t.Errorf("%s got %d copies", addr, n)
		}
	}
}

// TestCancel: a cancelled schedule never starts; a cancelled send skips
// what is left and is finished.
func TestCancel(t *testing.T) {
	e, srv := newSendEnv(t, 2)
	e.mustRun("send", "issue-06", "--at", "2026-11-26T11:00:00Z")
	e.mustRun("sends", "cancel", "s1")
	dm := e.daemon(t)
	dm.now = time.Date(2026, 11, 26, 11, 1, 0, 0, time.UTC)
	dm.Tick(context.Background())
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("a cancelled schedule sent %d messages", n)
	}
	e.env["MAILER_SEND_RETRY"] = "1h"
	srv.Fail("reader0000@example.org", smtptest.Fault{Stage: "RCPT", Code: 451})
	d, _, _ := testDeps(e.env, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- Run(ctx, d, []string{"send", "issue-06", "--yes"}) }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if sends, _ := dm.db.Sends(context.Background(), "issue-06"); len(sends) == 1 && sends[0].Counts.Deferred == 1 && sends[0].Counts.Sent == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the send never came to wait")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if out := e.mustRun("sends", "cancel", "1"); !strings.Contains(out, "1 message(s) not sent") {
		t.Fatalf("cancel:\n%s", out)
	}
	if st := e.mustRun("status", "issue-06"); !strings.Contains(st, "finished") || !strings.Contains(st, "1 skipped") {
		t.Fatalf("status:\n%s", st)
	}
	dm.now = time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)
	dm.Tick(context.Background())
	if n := srv.ByRecipient()["reader0000@example.org"]; n != 0 {
		t.Fatal("a cancelled send was delivered")
	}
}

// TestKillTheDaemonMidSend: the real `mailer serve` is killed with SIGKILL
// in the middle of a scheduled send and started again: it takes the send
// back (the dead process's lease is let go at once on the same host) and
// finishes it; nobody is lost, and at most one message per connection is
// sent twice.
func TestKillTheDaemonMidSend(t *testing.T) {
	bin := mailerBinary(t)
	const readers, concurrency = 200, 4
	e, srv := newSendEnv(t, readers)
	for i := range readers {
		srv.Fail(readerAddr(i), smtptest.Fault{Stage: "DATA", Delay: 10 * time.Millisecond})
	}
	e.env["MAILER_CONCURRENCY"] = strconv.Itoa(concurrency)
	e.mustRun("send", "issue-06", "--at", "2026-11-26T11:00:00Z") // due: the binary's clock is the real one
	serve := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--http", "127.0.0.1:0", "--lmtp", "127.0.0.1:0", "--smtp", "")
		cmd.Env = envList(e.env)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := serve()
	for deadline := time.Now().Add(20 * time.Second); len(srv.Messages()) < 40; {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("the daemon did not start the scheduled send (%d messages)", len(srv.Messages()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	first.Process.Kill()
	first.Wait()
	atKill := len(srv.Messages())
	if atKill >= readers+1 {
		t.Fatal("the send finished before the kill")
	}
	second := serve()
	defer func() { second.Process.Signal(syscall.SIGTERM); second.Wait() }()
	for deadline := time.Now().Add(30 * time.Second); len(srv.ByRecipient()) < readers+1; {
		if time.Now().After(deadline) {
			t.Fatalf("after the restart %d of %d readers have it", len(srv.ByRecipient()), readers+1)
		}
		time.Sleep(20 * time.Millisecond)
	}
	dup := 0
	for _, n := range srv.ByRecipient() {
		dup += n - 1
	}
	t.Logf("killed after %d messages; %d duplicates", atKill, dup)
	if dup > concurrency {
		t.Fatalf("%d readers got it twice, more than the %d connections", dup, concurrency)
	}
}
