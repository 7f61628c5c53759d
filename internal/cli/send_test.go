package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mailer/internal/config"
	"mailer/internal/smtptest"
	"mailer/internal/token"
)

// newSendEnv is an issue environment whose transport is an in-process
// SMTP server, with n more members besides alice.
func newSendEnv(t testing.TB, n int) (*testEnv, *smtptest.Server) {
	return newSendEnvTo(t, n, smtptest.Start(t))
}

// newSendEnvTo is newSendEnv with the given SMTP server.
func newSendEnvTo(t testing.TB, n int, srv *smtptest.Server) (*testEnv, *smtptest.Server) {
	e := newIssueEnv(t)
	e.env["MAILER_TRANSPORT"] = "smtp"
	e.env["MAILER_SMTP_HOST"] = srv.Host
	e.env["MAILER_SMTP_PORT"] = strconv.Itoa(srv.Port)
	e.env["MAILER_SMTP_TLS"] = "none"
	e.env["MAILER_RATE_PER_SECOND"] = "0"
	e.env["MAILER_DEFAULT_LIST"] = "bpf-updates"
	e.env["MAILER_SEND_RETRY"] = "10ms,20ms"
	if n > 0 {
		var csv strings.Builder
		for i := range n {
			fmt.Fprintf(&csv, "reader%04d@example.org,Reader %d\n", i, i)
		}
		e.mustRun("subscribers", "import", "bpf-updates", e.write("readers.csv", csv.String()))
	}
	return e, srv
}

func (e *testEnv) signer(t testing.TB) *token.Signer {
	cfg, err := config.Load(filepath.Join(e.dir, "mailer.toml"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	s, err := token.NewSigner(cfg.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendDeliversOneCopyToEveryMember(t *testing.T) {
	e, srv := newSendEnv(t, 25)
	e.mustRun("subscribers", "add", "bpf-updates", "left@example.org")
	e.mustRun("subscribers", "rm", "bpf-updates", "left@example.org")
	out := e.mustRun("send", "issue-06", "--yes", "--concurrency", "3")
	if !strings.Contains(out, "26 sent, 0 failed") {
		t.Fatalf("summary:\n%s", out)
	}
	got := srv.ByRecipient()
	if len(got) != 26 || got["left@example.org"] != 0 || got["alice@example.org"] != 1 {
		t.Fatalf("received by %d recipients: %v", len(got), got)
	}
	signer := e.signer(t)
	ids := map[string]bool{}
	for _, m := range srv.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		rcpt := m.To[0]
		local, domain, _ := strings.Cut(rcpt, "@")
		if m.From != "bpf-updates-bounces+"+local+"="+domain+"@lists.example.org" {
			t.Errorf("envelope sender %q for %s", m.From, rcpt)
		}
		to, _ := mail.ParseAddress(msg.Header.Get("To"))
		if to == nil || to.Address != rcpt {
			t.Errorf("To %q for envelope %s", msg.Header.Get("To"), rcpt)
		}
		id := msg.Header.Get("Message-Id")
		if ids[id] || !strings.HasSuffix(id, "@lists.example.org>") {
			t.Errorf("Message-ID %q repeated or off the list domain", id)
		}
		ids[id] = true
		m := unsubURL.FindStringSubmatch(msg.Header.Get("List-Unsubscribe"))
		if m == nil || msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Fatalf("List-Unsubscribe %q", msg.Header.Get("List-Unsubscribe"))
		}
		if _, err := signer.Verify(m[2]); err != nil {
			t.Errorf("token for %s does not verify: %v", rcpt, err)
		}
		if !strings.Contains(msg.Header.Get("List-Unsubscribe"), "mailto:bpf-updates-unsubscribe+"+m[2]+"@lists.example.org") {
			t.Errorf("mailto lacks the token: %q", msg.Header.Get("List-Unsubscribe"))
		}
	}
	// Each reader's token names that reader: two readers never share one.
	if len(ids) != 26 {
		t.Fatalf("%d distinct Message-IDs", len(ids))
	}
	out = e.mustRun("status", "issue-06")
	if !strings.Contains(out, "26 of 26 sent") || !strings.Contains(out, "finished") {
		t.Fatalf("status:\n%s", out)
	}
}

func TestSendRefusesAFinishedSendThenResendsFailedOrForces(t *testing.T) {
	e, srv := newSendEnv(t, 3)
	srv.Fail("reader0001@example.org", smtptest.Fault{Stage: "RCPT", Code: 550, Times: 1})
	out := e.mustRun("send", "issue-06", "--yes")
	if !strings.Contains(out, "3 sent, 1 failed") {
		t.Fatalf("first send:\n%s", out)
	}
	status := e.mustRun("status", "issue-06")
	if !strings.Contains(status, "failed reader0001@example.org") || !strings.Contains(status, "550") {
		t.Fatalf("status lacks the failure:\n%s", status)
	}
	var js []struct {
		Issue  string `json:"issue"`
		Counts struct {
			Sent, Failed int
		} `json:"counts"`
		Problems []struct{ Address, Reply string } `json:"latest_problems"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("status", "--json")), &js); err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || js[0].Issue != "issue-06" || js[0].Counts.Sent != 3 || js[0].Counts.Failed != 1 ||
		len(js[0].Problems) != 1 || js[0].Problems[0].Address != "reader0001@example.org" {
		t.Fatalf("status --json: %+v", js)
	}
	_, errOut, code := e.run("send", "issue-06", "--yes")
	if code != ExitError || !strings.Contains(errOut, "issue-06 went to bpf-updates on") || !strings.Contains(errOut, "3 sent, 1 failed") {
		t.Fatalf("second send: exit %d %q", code, errOut)
	}
	out = e.mustRun("send", "issue-06", "--yes", "--resend-failed")
	if !strings.Contains(out, "4 sent, 0 failed") {
		t.Fatalf("resend-failed:\n%s", out)
	}
	if n := srv.ByRecipient()["alice@example.org"]; n != 1 {
		t.Fatalf("alice got %d copies after --resend-failed", n)
	}
	out = e.mustRun("send", "issue-06", "--yes", "--force")
	if !strings.Contains(out, "Queued 4 messages (send #2)") {
		t.Fatalf("force:\n%s", out)
	}
	if n := srv.ByRecipient()["alice@example.org"]; n != 2 {
		t.Fatalf("alice got %d copies after --force", n)
	}
}

func TestSendDryRunTestAndDraft(t *testing.T) {
	e, srv := newSendEnv(t, 2)
	out := e.mustRun("send", "issue-06", "--dry-run")
	if !strings.Contains(out, "3 active members") || !strings.Contains(out, "Dry run") || len(srv.Messages()) != 0 {
		t.Fatalf("dry run:\n%s", out)
	}
	if out := e.mustRun("status"); !strings.Contains(out, "No sends") {
		t.Fatalf("dry run left a send:\n%s", out)
	}
	out = e.mustRun("send", "issue-06", "--test", "editor@example.org")
	if !strings.Contains(out, "Sent a test copy") || srv.ByRecipient()["editor@example.org"] != 1 || len(srv.Messages()) != 1 {
		t.Fatalf("test copy:\n%s", out)
	}
	if out := e.mustRun("status"); !strings.Contains(out, "No sends") {
		t.Fatal("a test copy created a send")
	}
	src, _ := os.ReadFile(filepath.Join(e.dir, "issues", "issue-06.md"))
	e.write("issues/issue-07.md", strings.Replace(string(src), "title:", "draft: true\ntitle:", 1))
	if _, errOut, code := e.run("send", "issue-07", "--yes"); code != ExitError || !strings.Contains(errOut, "draft") {
		t.Fatalf("draft: %d %q", code, errOut)
	}
	// A draft is what test copies are for.
	out = e.mustRun("send", "issue-07", "--test", "editor@example.org")
	if !strings.Contains(out, "Sent a test copy of issue-07") || srv.ByRecipient()["editor@example.org"] != 2 {
		t.Fatalf("test copy of a draft:\n%s", out)
	}
}

func TestSendNeedsYesWithoutATerminal(t *testing.T) {
	e, srv := newSendEnv(t, 1)
	_, errOut, code := e.run("send", "issue-06")
	if code != ExitUsage || !strings.Contains(errOut, "--yes") || len(srv.Messages()) != 0 {
		t.Fatalf("exit %d %q", code, errOut)
	}
}

func TestSendBadServerFailsFastMarkingNobody(t *testing.T) {
	e, _ := newSendEnv(t, 2)
	e.env["MAILER_SMTP_PORT"] = "1"
	_, errOut, code := e.run("send", "issue-06", "--yes")
	if code != ExitTempFail || !strings.Contains(errOut, "nothing listens on 127.0.0.1:1") {
		t.Fatalf("exit %d %q", code, errOut)
	}
	if out := e.mustRun("status"); !strings.Contains(out, "No sends") {
		t.Fatalf("a failed preflight queued a send:\n%s", out)
	}
}

func TestSendRefusesWhileAnotherProcessHoldsTheLease(t *testing.T) {
	e, srv := newSendEnv(t, 2)
	srv.Fail("alice@example.org", smtptest.Fault{Stage: "RCPT", Code: 451})
	e.env["MAILER_SEND_MAX_AGE"] = "1h"
	e.env["MAILER_SEND_RETRY"] = "1h"
	// Stop the first run while alice is deferred: the send stays unfinished.
	d, _, _ := testDeps(e.env, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	Run(ctx, d, []string{"send", "issue-06", "--yes"})
	// Pretend a live process on another host holds it.
	d, _, _ = testDeps(e.env, "")
	db, err := d.OpenStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.TakeLease(context.Background(), 1, "otherhost:4242:abc", d.Now().Add(time.Minute), nil); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A live worker holds its session lock (on PostgreSQL; nothing on SQLite).
	release, err := db.HoldWorker(context.Background(), "otherhost:4242:abc")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	_, errOut, code := e.run("send", "issue-06", "--yes")
	if code != ExitError || !strings.Contains(errOut, "another mailer process (otherhost:4242:abc)") {
		t.Fatalf("exit %d %q", code, errOut)
	}
}

func TestSendResumeRefusesAChangedIssue(t *testing.T) {
	e, srv := newSendEnv(t, 2)
	srv.Fail("alice@example.org", smtptest.Fault{Stage: "RCPT", Code: 451})
	e.env["MAILER_SEND_RETRY"] = "1h"
	d, _, _ := testDeps(e.env, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	Run(ctx, d, []string{"send", "issue-06", "--yes"})
	src, _ := os.ReadFile(filepath.Join(e.dir, "issues", "issue-06.md"))
	e.write("issues/issue-06.md", string(src)+"\nA late addition.\n")
	_, errOut, code := e.run("send", "issue-06", "--yes")
	if code != ExitError || !strings.Contains(errOut, "changed since its send") {
		t.Fatalf("exit %d %q", code, errOut)
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// mailerBinary builds cmd/mailer once for tests that run the real program.
func mailerBinary(t testing.TB) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mailer-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "mailer")
		// The binary is built as this test binary was: with -tags
		// libcrypto, OpenSSL signs RSA in it too.
		out, err := exec.Command("go", "build", "-tags", buildTags, "-o", binPath, "mailer/cmd/mailer").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// newSlowSendEnv is a send environment with members in all whose server
// takes 30 ms over each reader's message, so that a kill lands mid-send,
// and the process environment for running the binary against it.
func newSlowSendEnv(t *testing.T, members int) (*testEnv, *smtptest.Server, []string) {
	e, srv := newSendEnv(t, members-1)
	for i := range members - 1 {
		srv.Fail(fmt.Sprintf("reader%04d@example.org", i), smtptest.Fault{Stage: "DATA", Delay: 30 * time.Millisecond})
	}
	env := e.environ()
	return e, srv, env
}

// TestKillAndResume runs the real binary, kills it with SIGKILL at a random
// moment, and runs it again: nobody is lost, and no more readers than
// connections get a second copy.
func TestKillAndResume(t *testing.T) {
	bin := mailerBinary(t)
	const members, concurrency = 200, 4
	e, srv, env := newSlowSendEnv(t, members)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	for round := 0; round < 2; round++ {
		cmd := exec.Command(bin, "send", "issue-06", "--yes", "--concurrency", strconv.Itoa(concurrency))
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wait := time.Duration(150+rng.IntN(400)) * time.Millisecond
		time.Sleep(wait)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		t.Logf("round %d (seed %d): killed after %v; %d accepted so far", round, seed, wait, len(srv.Messages()))
	}
	cmd := exec.Command(bin, "send", "issue-06", "--yes", "--concurrency", strconv.Itoa(concurrency))
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "issue-06 went to bpf-updates") {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	got := srv.ByRecipient()
	dups := 0
	// alice is a member like the readers (only not slowed down): she too may
	// be in flight at a kill and get a second copy, within the same bound.
	everyone := []string{"alice@example.org"}
	for i := range members - 1 {
		everyone = append(everyone, fmt.Sprintf("reader%04d@example.org", i))
	}
	for _, a := range everyone {
		switch n := got[a]; {
		case n == 0:
			t.Errorf("%s never received the issue", a)
		case n > 1:
			dups += n - 1
		}
	}
	// Two kills, each with at most `concurrency` messages in flight.
	if dups > 2*concurrency {
		t.Errorf("%d duplicate copies after two kills with %d connections", dups, concurrency)
	}
	t.Logf("duplicates: %d (at most %d allowed)\n%s", dups, 2*concurrency, out)
	if status := e.mustRun("status", "issue-06"); !strings.Contains(status, "200 of 200 sent") {
		t.Fatalf("resume did not finish:\n%s\n%s", out, status)
	}
}

// TestKillAndResumeSkippingInFlight: with send.in_flight = "skip", the
// messages in flight at the kill are not sent again, status says they may
// have been delivered, and nobody gets two.
func TestKillAndResumeSkippingInFlight(t *testing.T) {
	bin := mailerBinary(t)
	const members, concurrency = 100, 4
	e, srv, env := newSlowSendEnv(t, members)
	env = append(env, "MAILER_SEND_IN_FLIGHT=skip")
	cmd := exec.Command(bin, "send", "issue-06", "--yes", "--concurrency", strconv.Itoa(concurrency))
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it mid-send: once the first messages arrived, not after a fixed
	// time, which on a loaded machine can pass before anything was queued.
	for deadline := time.Now().Add(30 * time.Second); len(srv.Messages()) < concurrency && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	cmd = exec.Command(bin, "send", "issue-06", "--yes", "--concurrency", strconv.Itoa(concurrency))
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "not sending them again") {
		t.Fatalf("no word about the skipped messages:\n%s", out)
	}
	for a, n := range srv.ByRecipient() {
		if n > 1 {
			t.Errorf("%s received %d copies with in_flight = skip", a, n)
		}
	}
	status := e.mustRun("status", "issue-06")
	// What is known of them: not retried, and maybe delivered; not that
	// they failed after no attempt.
	if !strings.Contains(status, "not retried") || !strings.Contains(status, "may have been delivered") || strings.Contains(status, "0 attempt(s)") {
		t.Fatalf("status does not say what is known of the skipped messages:\n%s", status)
	}
}

// TestArchiveDatesIssueByFrontMatter: issue-06 says it is of 8 June 2017;
// the archive says so too, not the day its send finished.
func TestArchiveDatesIssueByFrontMatter(t *testing.T) {
	e, _ := newSendEnv(t, 1)
	e.mustRun("send", "issue-06", "--yes")
	db := e.openStore(t)
	issues, err := db.Archive(context.Background(), listOf(t, db, "bpf-updates"))
	if err != nil || len(issues) != 1 || issues[0].Date.Format("2006-01-02") != "2017-06-08" {
		t.Fatalf("archive: %+v %v", issues, err)
	}
}

// TestArchiveKeepsContentAndHonoursArchiveFalse: the archive keeps the
// issue's HTML for the feed, links absolute; an issue with archive: false
// is sent and kept out.
func TestArchiveKeepsContentAndHonoursArchiveFalse(t *testing.T) {
	e, srv := newSendEnv(t, 1)
	src, _ := os.ReadFile(filepath.Join(e.dir, "issues", "issue-06.md"))
	e.write("issues/private.md", strings.Replace(string(src), "title:", "archive: false\ntitle:", 1))
	e.mustRun("send", "issue-06", "--yes")
	e.mustRun("send", "private", "--yes")
	if n := srv.ByRecipient()["reader0000@example.org"]; n != 2 {
		t.Fatalf("reader got %d issues, want 2", n)
	}
	db := e.openStore(t)
	issues, _ := db.Archive(context.Background(), listOf(t, db, "bpf-updates"))
	if len(issues) != 1 || issues[0].Slug != "issue-06" {
		t.Fatalf("archive: %+v", issues)
	}
	if c := issues[0].Content; !strings.Contains(c, `href="https://`) || strings.Contains(c, "<html") || strings.Contains(c, "/u/") {
		t.Fatalf("archived content (want the issue's HTML, absolute links, no page, no personal link):\n%.400s", c)
	}
}
