package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"mailer/internal/serve"
	"mailer/internal/smtptest"
)

// newInboundEnv is a mailer directory whose transport is an in-process
// SMTP server, with the list bpf-updates, and the environment for the
// real binary.
func newInboundEnv(t *testing.T) (*testEnv, *smtptest.Server, []string) {
	e, srv := newSendEnv(t, 0)
	env := e.environ()
	return e, srv, env
}

// pipe runs `mailer receive` as an MTA's pipe would.
func pipe(t *testing.T, bin string, env []string, raw string, extraEnv ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, "receive")
	cmd.Env = append(append([]string(nil), env...), extraEnv...)
	cmd.Stdin = strings.NewReader(raw)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

func decodedBody(t *testing.T, data []byte) (mail.Header, string) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	return msg.Header, string(b)
}

var confirmReplyTo = regexp.MustCompile(`bpf-updates-confirm\+[a-z2-7]+@lists\.example\.org`)

// TestReceivePipeEndToEnd pipes a real message through the built binary:
// the answer and the confirmation land on the SMTP server, and the
// confirmation, answered by mail through the pipe again, makes the member
// active.
func TestReceivePipeEndToEnd(t *testing.T) {
	bin := mailerBinary(t)
	e, srv, env := newInboundEnv(t)
	req := "From: Zoe Reader <zoe@example.com>\r\nTo: majordomo@lists.example.org\r\nSubject: join\r\n" +
		"Message-ID: <req-1@example.com>\r\nDate: Thu, 26 Nov 2026 09:00:00 +0000\r\n\r\nsubscribe bpf-updates\r\nend\r\n"
	code, out := pipe(t, bin, env, req, "RECIPIENT=majordomo@lists.example.org", "SENDER=zoe@example.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var replyTo string
	for _, m := range srv.Messages() {
		h, body := decodedBody(t, m.Data)
		if m.To[0] != "zoe@example.com" {
			t.Fatalf("mail to %v", m.To)
		}
		// One mail: the confirmation, carrying the answer.
		if rt := h.Get("Reply-To"); confirmReplyTo.MatchString(rt) && strings.Contains(body, "This mail is the confirmation request for zoe@example.com") {
			replyTo = rt
		} else {
			t.Fatalf("answer:\n%s", body)
		}
	}
	if replyTo == "" || len(srv.Messages()) != 1 {
		t.Fatalf("%d mails, confirmation Reply-To %q", len(srv.Messages()), replyTo)
	}
	if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "pending"); !strings.Contains(out, "zoe@example.com") {
		t.Fatalf("not pending:\n%s", out)
	}
	answer := "From: zoe@example.com\r\nTo: " + replyTo + "\r\nSubject: Re: Confirm\r\nMessage-ID: <req-2@example.com>\r\n\r\nyes\r\n"
	if code, out := pipe(t, bin, env, answer, "ORIGINAL_RECIPIENT="+replyTo, "SENDER=zoe@example.com"); code != 0 {
		t.Fatalf("confirm: exit %d: %s", code, out)
	}
	if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "active"); !strings.Contains(out, "zoe@example.com") {
		t.Fatalf("not active after confirming:\n%s", out)
	}
}

func TestReceiveExitCodes(t *testing.T) {
	bin := mailerBinary(t)
	_, srv, env := newInboundEnv(t)
	post := "From: a@example.com\r\nTo: bpf-updates@lists.example.org\r\nSubject: hi\r\n\r\nhello\r\n"
	if code, out := pipe(t, bin, env, post, "RECIPIENT=bpf-updates@lists.example.org", "SENDER=a@example.com"); code != 77 || !strings.Contains(out, "announce-only") {
		t.Fatalf("post: exit %d %s", code, out)
	}
	if code, _ := pipe(t, bin, env, post, "RECIPIENT=nobody-request@lists.example.org"); code != 67 {
		t.Fatalf("unknown list: exit %d", code)
	}
	if code, out := pipe(t, bin, env, "garbage without headers", "RECIPIENT=majordomo@lists.example.org", "SENDER=a@example.com"); code != 0 || !strings.Contains(out, "dropped") {
		t.Fatalf("malformed: exit %d %s", code, out)
	}
	// The recipient can come from the headers alone.
	cmd := "From: b@example.com\r\nDelivered-To: majordomo@lists.example.org\r\nTo: whoever@example.com\r\nSubject: help\r\n\r\n"
	if code, out := pipe(t, bin, env, cmd, "SENDER=b@example.com"); code != 0 || len(srv.Messages()) != 1 {
		t.Fatalf("recipient from headers: exit %d, %d mails: %s", code, len(srv.Messages()), out)
	}
}

// TestReceiveTempFailWhenDatabaseIsLocked: another process holds the write
// lock; the pipe exits 75 so that the MTA keeps the mail and retries.
func TestReceiveTempFailWhenDatabaseIsLocked(t *testing.T) {
	bin := mailerBinary(t)
	e, srv, env := newInboundEnv(t)
	release := e.holdLock(t, true)
	req := "From: x@example.com\r\nTo: majordomo@lists.example.org\r\nSubject: s\r\n\r\nsubscribe bpf-updates\r\n"
	code, out := pipe(t, bin, env, req, "RECIPIENT=majordomo@lists.example.org", "SENDER=x@example.com", "MAILER_BUSY_TIMEOUT=300ms")
	if code != 75 {
		t.Fatalf("exit %d, want 75 (EX_TEMPFAIL): %s", code, out)
	}
	release()
	if code, out := pipe(t, bin, env, req, "RECIPIENT=majordomo@lists.example.org", "SENDER=x@example.com"); code != 0 || len(srv.Messages()) != 1 {
		t.Fatalf("after the lock: exit %d, %d mails: %s", code, len(srv.Messages()), out)
	}
}

// startServe runs `mailer serve` in-process on free loopback ports.
func startServe(t *testing.T, e *testEnv) (lmtpAddr, smtpAddr string) {
	a := startServeAll(t, e, "127.0.0.1:0")
	return a[0], a[1]
}

// startServeAll runs `mailer serve` in-process with LMTP, SMTP, HTTP and
// the owners' listener (the test environment's MAILER_ADMIN_LISTEN).
func startServeAll(t *testing.T, e *testEnv, httpAddr string) [4]string {
	d, _, _ := testDeps(e.env, "")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [4]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serveRun(ctx, &ServeOptions{Deps: d, LMTP: "127.0.0.1:0", SMTP: "127.0.0.1:0", HTTP: httpAddr, NoDeliver: true,
			Ready: func(a serve.Addrs) { ready <- [4]string{a.LMTP, a.SMTP, a.HTTP, a.Admin} }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case a := <-ready:
		return a
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	return [4]string{}
}

// TestServeLMTPAnswersPerRecipient talks LMTP with go-smtp's client: one
// session, several recipients, one status each.
func TestServeLMTPAnswersPerRecipient(t *testing.T) {
	e, srv, _ := newInboundEnv(t)
	lmtpAddr, _ := startServe(t, e)
	conn, err := net.Dial("tcp", lmtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("mx.example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("ann@example.com", nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"majordomo@lists.example.org", "bpf-updates-subscribe@lists.example.org"} {
		if err := c.Rcpt(r, nil); err != nil {
			t.Fatalf("RCPT %s: %v", r, err)
		}
	}
	for r, code := range map[string]int{"stranger@lists.example.org": 550, "bpf-updates@lists.example.org": 550, "x@other.example": 550} {
		err := c.Rcpt(r, nil)
		if se, ok := err.(*smtp.SMTPError); !ok || se.Code != code {
			t.Errorf("RCPT %s: %v, want %d", r, err, code)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "From: Ann <ann@example.com>\r\nSubject: hi\r\nMessage-ID: <lmtp-1@example.com>\r\n\r\nlists\r\n")
	resp, err := w.CloseWithLMTPResponse()
	if err != nil {
		t.Fatalf("per-recipient statuses: %v", err)
	}
	if len(resp) != 2 || resp["majordomo@lists.example.org"] == nil || resp["bpf-updates-subscribe@lists.example.org"] == nil {
		t.Fatalf("per-recipient statuses %v", resp)
	}
	c.Quit()
	// The answer to "lists", and the confirmation carrying the other answer.
	if got := srv.ByRecipient()["ann@example.com"]; got != 2 {
		t.Fatalf("ann got %d mails, want 2", got)
	}
}

// TestServeWithSwaks uses swaks, a real SMTP client, against mailer serve.
func TestServeWithSwaks(t *testing.T) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Fatalf("swaks is needed for this test (apt-get install swaks, as .ci/run does): %v", err)
	}
	e, srv, _ := newInboundEnv(t)
	_, smtpAddr := startServe(t, e)
	host, port, _ := net.SplitHostPort(smtpAddr)
	run := func(to string) (int, string) {
		cmd := exec.Command(swaks, "--server", host, "--port", port, "--from", "sam@example.com", "--to", to,
			"--header", "Subject: help", "--body", "help\n")
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		return 0, string(out)
	}
	if code, out := run("majordomo@lists.example.org"); code != 0 {
		t.Fatalf("swaks to majordomo: exit %d\n%s", code, out)
	}
	if n := srv.ByRecipient()["sam@example.com"]; n != 1 {
		t.Fatalf("sam got %d answers", n)
	}
	if code, out := run("nobody@lists.example.org"); code == 0 || !strings.Contains(out, "550") {
		t.Fatalf("swaks to an unknown address: exit %d\n%s", code, out)
	}
}

// TestServeLMTPTempFailure: with the database locked by another process,
// LMTP answers 451 for the recipient so that the MTA keeps the mail.
func TestServeLMTPTempFailure(t *testing.T) {
	e, _, _ := newInboundEnv(t)
	e.env["MAILER_BUSY_TIMEOUT"] = "200ms"
	lmtpAddr, _ := startServe(t, e)
	defer e.holdLock(t, true)()
	nc, err := net.Dial("tcp", lmtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(nc)
	defer c.Close()
	c.Hello("mx.example.org")
	c.Mail("kim@example.com", nil)
	if err := c.Rcpt("majordomo@lists.example.org", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "From: kim@example.com\r\nSubject: s\r\n\r\nsubscribe bpf-updates\r\n")
	_, err = w.CloseWithLMTPResponse()
	var lerr smtp.LMTPDataError
	if !errors.As(err, &lerr) || lerr["majordomo@lists.example.org"] == nil || lerr["majordomo@lists.example.org"].Code != 451 {
		t.Fatalf("LMTP status %v, want 451 for the recipient", err)
	}
}
