package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mailer/internal/sending"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

// These benchmarks measure whole sends against Postfix's smtp-sink on
// loopback. Run them once each: go test -run '^$' -bench Send -benchtime 1x
// (make bench does). Recipients default to the issue's figures and can be
// lowered with MAILER_BENCH_RECIPIENTS and MAILER_BENCH_MILLION.

func benchCount(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// newBigListEnv is a send environment whose list has n members (alice and
// n-1 readers over 1,000 domains), sending into a fresh smtp-sink on port.
func newBigListEnv(b *testing.B, n int) (e *testEnv, port int) {
	port = startSmtpSink(b, "")
	e, _ = newSendEnv(b, 0)
	var csv bytes.Buffer
	for i := range n - 1 {
		fmt.Fprintf(&csv, "reader%07d@example%d.org\n", i, i%1000)
	}
	e.mustRun("subscribers", "import", "bpf-updates", e.write("members.csv", csv.String()))
	e.env["MAILER_SMTP_PORT"] = strconv.Itoa(port)
	return e, port
}

// messageSize is the size of one personalised issue-06 as sent.
func messageSize(b *testing.B, e *testEnv) int {
	out := e.mustRun("render", "issue-06", "--format", "eml", "--to", "alice@example.org")
	return len(out)
}

// BenchmarkSendVsSmtpSource sends issue-06 to 20,000 recipients with the
// rate limit off at concurrency 1, 4 and 16, then drives the same smtp-sink
// with Postfix's smtp-source at the same message size and concurrency, and
// reports both rates and their ratio. Database bookkeeping is included:
// the time is the whole `mailer send`, snapshot and all.
func BenchmarkSendVsSmtpSource(b *testing.B) {
	n := benchCount("MAILER_BENCH_RECIPIENTS", 20_000)
	for _, c := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				port := startSmtpSink(b, "")
				e, _ := newSendEnv(b, n-1)
				e.env["MAILER_SMTP_PORT"] = strconv.Itoa(port)
				size := messageSize(b, e)
				b.StartTimer()
				start := time.Now()
				if dir := os.Getenv("MAILER_BENCH_PROFILE"); dir != "" {
					e.env["MAILER_CPUPROFILE"] = filepath.Join(dir, fmt.Sprintf("unsigned-%d.prof", c)) // go tool pprof FILE
				}
				out := e.mustRun("send", "issue-06", "--yes", "--concurrency", strconv.Itoa(c), "--rate", "0")
				mailerRate := float64(n) / time.Since(start).Seconds()
				b.StopTimer()
				if !strings.Contains(out, fmt.Sprintf("%s sent, 0 failed", sending.Thousands(n))) {
					b.Fatalf("send did not deliver all:\n%s", out)
				}
				sourceRate := smtpSource(b, port, c, n, size)
				b.ReportMetric(mailerRate, "mailer-msgs/s")
				b.ReportMetric(sourceRate, "smtp-source-msgs/s")
				b.ReportMetric(mailerRate/sourceRate, "ratio")
				b.Logf("concurrency %d, %d messages of %d bytes: mailer %.0f/s, smtp-source %.0f/s, ratio %.2f",
					c, n, size, mailerRate, sourceRate, mailerRate/sourceRate)
			}
		})
	}
}

// smtpSource runs Postfix's load generator against the sink: n messages
// of size bytes over c sessions that stay connected, as mailer's do.
func smtpSource(b *testing.B, port, c, n, size int) float64 {
	bin := "/usr/sbin/smtp-source"
	if p, err := exec.LookPath("smtp-source"); err == nil {
		bin = p
	}
	cmd := exec.Command(bin, "-d", "-s", strconv.Itoa(c), "-m", strconv.Itoa(n), "-l", strconv.Itoa(size),
		"-f", "bench@example.org", "-t", "reader@example.org", "127.0.0.1:"+strconv.Itoa(port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("smtp-source: %v\n%s", err, out.String())
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkMillionRecipientSend runs the real binary: a send to a list of
// 1,000,000 members into smtp-sink, reporting the snapshot time and the
// process's peak resident memory (aim: under 10 s and under 150 MB).
func BenchmarkMillionRecipientSend(b *testing.B) {
	n := benchCount("MAILER_BENCH_MILLION", 1_000_000)
	bin := mailerBinary(b)
	for range b.N {
		b.StopTimer()
		e, _ := newBigListEnv(b, n)
		env := e.environ()
		b.StartTimer()
		cmd := exec.Command(bin, "send", "issue-06", "--yes", "--concurrency", "16", "--rate", "0")
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		peak := watchPeakRSS(cmd.Process.Pid)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("send: %v\n%s", err, out.String())
		}
		total := time.Since(start)
		b.StopTimer()
		rss := float64(<-peak) / 1024 // KiB to MiB
		if !strings.Contains(out.String(), sending.Thousands(n)+" sent, 0 failed") {
			b.Fatalf("not all sent:\n%s", out.String())
		}
		snapshot := snapshotTime(b, e)
		b.ReportMetric(rss, "peak-RSS-MiB")
		b.ReportMetric(snapshot.Seconds(), "snapshot-s")
		b.ReportMetric(float64(n)/total.Seconds(), "msgs/s")
		b.Logf("%d recipients: peak RSS %.0f MiB, snapshot %v, whole send %v (%.0f msgs/s)", n, rss, snapshot, total.Round(time.Second), float64(n)/total.Seconds())
	}
}

// watchPeakRSS reads the process's VmHWM (its peak resident set) from
// /proc until the process is gone, and sends the last value in KiB. The
// rusage of a waited child is no good here: it counts the memory of the
// parent it was forked from, before exec.
func watchPeakRSS(pid int) <-chan int {
	ch := make(chan int, 1)
	go func() {
		peak := 0
		for {
			raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				ch <- peak
				return
			}
			for _, line := range strings.Split(string(raw), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					if kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))); err == nil && kb > peak {
						peak = kb
					}
				}
			}
			if strings.Contains(string(raw), "State:\tZ") {
				ch <- peak
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return ch
}

// snapshotTime measures a second snapshot of the same list (--force on the
// finished send, with a dry transport), as StartSend alone.
func snapshotTime(b *testing.B, e *testEnv) time.Duration {
	d, _, _ := testDeps(e.env, "")
	db, err := d.OpenStore(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l, err := db.GetList(b.Context(), "bpf-updates")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := db.StartSend(b.Context(), storeNewSend(l.ID)); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func storeNewSend(listID int64) store.NewSend {
	return store.NewSend{Issue: "snapshot-bench", ListID: listID, Subject: "s", ContentHash: "h",
		MsgIDNonce: "bench", MsgIDDomain: "lists.example.org", LeaseOwner: "bench", LeaseUntil: time.Now().Add(time.Hour)}
}

// BenchmarkReceiveProcess is the wall time of one `mailer receive` process
// handling a "help" mail: start-up, config, database, answer into a Maildir.
func BenchmarkReceiveProcess(b *testing.B) {
	bin := mailerBinary(b)
	e := newIssueEnv(b)
	env := e.environ()
	env = append(env, "RECIPIENT=majordomo@lists.example.org", "MAILER_INBOUND_REPLIES_PER_SENDER_HOUR=0", "MAILER_INBOUND_REPLIES_PER_HOUR=0")
	for i := 0; b.Loop(); i++ {
		cmd := exec.Command(bin, "receive")
		cmd.Env = append(env, fmt.Sprintf("SENDER=r%d@example.org", i))
		cmd.Stdin = strings.NewReader(fmt.Sprintf("From: r%d@example.org\r\nSubject: help\r\nMessage-ID: <%d@example.org>\r\n\r\nhelp\r\n", i, i))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}

// BenchmarkSendSigned sends issue-06 at concurrency 16 into one smtp-sink,
// unsigned, then signed with Ed25519, RSA-2048, and both (dual signing),
// each a new send to the same list (--force), and reports each rate and
// its ratio to the unsigned one measured in the same run.
func BenchmarkSendSigned(b *testing.B) {
	n := benchCount("MAILER_BENCH_RECIPIENTS", 20_000)
	for range b.N {
		b.StopTimer()
		port := startSmtpSink(b, "")
		e, _ := newSendEnv(b, n-1)
		e.env["MAILER_SMTP_PORT"] = strconv.Itoa(port)
		keys := map[string]string{}
		for _, alg := range []string{"rsa", "ed25519"} {
			out := e.mustRun("dkim", "keygen", "--selector", alg, "--domain", "example.org", "--algorithm", alg)
			keys[alg] = regexp.MustCompile(`key_file = "([^"]+)"`).FindStringSubmatch(out)[1]
		}
		e.env["MAILER_DKIM_DOMAIN"] = "example.org"
		var unsigned float64
		for i, kind := range []string{"unsigned", "ed25519", "rsa", "ed25519+rsa"} {
			first, dual, _ := strings.Cut(kind, "+")
			e.env["MAILER_DKIM_SELECTOR"], e.env["MAILER_DKIM_KEY_FILE"] = first, keys[first]
			e.env["MAILER_DKIM_DUAL_SELECTOR"], e.env["MAILER_DKIM_DUAL_KEY_FILE"] = dual, keys[dual]
			args := []string{"send", "issue-06", "--yes", "--concurrency", "16", "--rate", "0"}
			if i > 0 {
				args = append(args, "--force")
			}
			if dir := os.Getenv("MAILER_BENCH_PROFILE"); dir != "" {
				e.env["MAILER_CPUPROFILE"] = filepath.Join(dir, kind+".prof") // go tool pprof FILE
			}
			b.StartTimer()
			start := time.Now()
			out := e.mustRun(args...)
			rate := float64(n) / time.Since(start).Seconds()
			b.StopTimer()
			if !strings.Contains(out, fmt.Sprintf("%s sent, 0 failed", sending.Thousands(n))) {
				b.Fatalf("%s: send did not deliver all:\n%s", kind, out)
			}
			if i == 0 {
				unsigned = rate
			}
			b.ReportMetric(rate, kind+"-msgs/s")
			b.ReportMetric(rate/unsigned, kind+"-vs-unsigned")
			b.Logf("%s, concurrency 16, %d messages: %.0f/s, %.2fx unsigned", kind, n, rate, rate/unsigned)
		}
	}
}

// BenchmarkWorkers delivers one send of issue-06 into smtp-sink with one,
// two and three workers (one `mailer send` and joiners, real processes),
// the rate limit off, then runs smtp-source at the same size and total
// concurrency. It reports the send's rate, the ratio to smtp-source, each
// worker's peak RSS and messages per worker CPU-second: this machine's
// cores are shared by the workers and the sink, so the CPU figure is the
// one that carries over to larger machines. On the PostgreSQL pass (cli's
// TestMain) the workers share a PostgreSQL database. Recipients:
// MAILER_BENCH_WORKERS (default 200,000).
func BenchmarkWorkers(b *testing.B) {
	n := benchCount("MAILER_BENCH_WORKERS", 200_000)
	const concurrency = 4
	bin := mailerBinary(b)
	// One list for all: each round is a new send to it (--force).
	e, port := newBigListEnv(b, n)
	env := e.environ()
	size := messageSize(b, e)
	round := 0
	for _, workers := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for range b.N {
				start := time.Now()
				cmds, peaks := runWorkers(b, bin, env, e, workers, concurrency, round > 0)
				elapsed := time.Since(start)
				round++
				b.StopTimer()
				cpu, rss := 0.0, 0.0
				for i, c := range cmds {
					cpu += (c.ProcessState.UserTime() + c.ProcessState.SystemTime()).Seconds()
					rss = max(rss, float64(<-peaks[i])/1024)
				}
				rate := float64(n) / elapsed.Seconds()
				source := smtpSource(b, port, workers*concurrency, min(n, 50_000), size)
				b.ReportMetric(rate, "msgs/s")
				b.ReportMetric(rate/source, "vs-smtp-source")
				b.ReportMetric(float64(n)/cpu, "msgs/worker-cpu-s")
				b.ReportMetric(rss, "peak-RSS-MiB/worker")
				b.Logf("%d workers x %d connections, %d messages of %d bytes: %.0f msgs/s (smtp-source %.0f/s, %.2fx), %.0f msgs per worker CPU-second, peak RSS %.0f MiB",
					workers, concurrency, n, size, rate, source, rate/source, float64(n)/cpu, rss)
				b.StartTimer()
			}
		})
	}
}

// runWorkers starts one send and joiners until workers run, waits for all
// and checks the send finished.
func runWorkers(b *testing.B, bin string, env []string, e *testEnv, workers, concurrency int, again bool) ([]*exec.Cmd, []<-chan int) {
	var cmds []*exec.Cmd
	var peaks []<-chan int
	var outs []*bytes.Buffer
	for w := range workers {
		args := []string{"send", "issue-06", "--yes", "--concurrency", strconv.Itoa(concurrency), "--rate", "0"}
		switch {
		case w > 0:
			args = append(args, "--join")
			waitSending(b, e)
		case again:
			args = append(args, "--force") // a new send of the same issue
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		cmds, outs, peaks = append(cmds, cmd), append(outs, &out), append(peaks, watchPeakRSS(cmd.Process.Pid))
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			b.Fatalf("worker %d: %v\n%s", i, err, outs[i])
		}
	}
	return cmds, peaks
}

// waitSending waits until the send exists, so that a joiner has one.
func waitSending(b *testing.B, e *testEnv) {
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if out, _, code := e.run("sends", "ls", "--json"); code == 0 && strings.Contains(out, `"state": "sending"`) {
			return
		}
	}
	b.Fatal("the send did not start")
}

// BenchmarkSharedRate runs three workers on one send with a rate limit of
// MAILER_BENCH_RATE messages a second (default 200) for about a minute and
// reports the rate the sink saw between the first and the last message,
// which should be within 5% of the limit: the limit is the send's, not each
// worker's.
func BenchmarkSharedRate(b *testing.B) {
	limit := benchCount("MAILER_BENCH_RATE", 200)
	n := limit * 60
	bin := mailerBinary(b)
	for range b.N {
		b.StopTimer()
		srv := smtptest.Start(b)
		e, _ := newSendEnvTo(b, n-1, srv)
		env := e.environ()
		b.StartTimer()
		var cmds []*exec.Cmd
		for w := range 3 {
			args := []string{"send", "issue-06", "--yes", "--concurrency", "4", "--rate", strconv.Itoa(limit)}
			if w > 0 {
				args = append(args, "--join")
				waitSending(b, e)
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = env
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			cmds = append(cmds, cmd)
		}
		for _, c := range cmds {
			c.Wait()
		}
		b.StopTimer()
		msgs := srv.Messages()
		if len(msgs) < n {
			b.Fatalf("%d of %d delivered", len(msgs), n)
		}
		first, last := msgs[0].At, msgs[len(msgs)-1].At
		rate := float64(len(msgs)-1) / last.Sub(first).Seconds()
		b.ReportMetric(rate, "msgs/s")
		b.ReportMetric(rate/float64(limit), "of-limit")
		b.Logf("3 workers, limit %d/s: %d messages in %v = %.1f/s (%.3f of the limit)", limit, len(msgs), last.Sub(first).Round(time.Millisecond), rate, rate/float64(limit))
	}
}
