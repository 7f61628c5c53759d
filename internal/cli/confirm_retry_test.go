package cli

import (
	"strings"
	"testing"

	"mailer/internal/smtptest"
)

// TestReceiveWithMailDown runs the real binary as the MTA's pipe while the
// mail server refuses, then accepts: exit 75 when nothing was committed,
// so the MTA's retry repeats the whole request cleanly; and when the
// membership changed but the answer could not go, the retry is answered
// "you are subscribed", never "code already used".
func TestReceiveWithMailDown(t *testing.T) {
	bin := mailerBinary(t)
	e, srv, env := newInboundEnv(t)
	rcpt := []string{"RECIPIENT=majordomo@lists.example.org", "SENDER=zoe@example.com"}
	req := "From: zoe@example.com\r\nTo: majordomo@lists.example.org\r\nSubject: join\r\nMessage-ID: <r1@example.com>\r\n\r\nsubscribe bpf-updates\r\n"

	srv.Fail("zoe@example.com", smtptest.Fault{Stage: "RCPT", Code: 451, Times: 1})
	if code, out := pipe(t, bin, env, req, rcpt...); code != 75 {
		t.Fatalf("confirmation refused: exit %d, want 75: %s", code, out)
	}
	for _, st := range []string{"pending", "active"} {
		if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", st); strings.Contains(out, "zoe@example.com") {
			t.Fatalf("recorded as %s though the confirmation was not sent:\n%s", st, out)
		}
	}
	if code, out := pipe(t, bin, env, req, rcpt...); code != 0 {
		t.Fatalf("the MTA's retry: exit %d: %s", code, out)
	}
	var replyTo string
	for _, m := range srv.Messages() {
		h, body := decodedBody(t, m.Data)
		// One mail: the confirmation, carrying the answer.
		if rt := h.Get("Reply-To"); confirmReplyTo.MatchString(rt) && strings.Contains(body, "This mail is the confirmation request for zoe@example.com") {
			replyTo = rt
		} else {
			t.Fatalf("answer to the retry:\n%s", body)
		}
	}
	if replyTo == "" || len(srv.Messages()) != 1 {
		t.Fatalf("after the retry: %d mails, confirmation %q", len(srv.Messages()), replyTo)
	}

	// The confirmation is applied, then the answer is refused: 75, and the
	// retry finds the work done.
	answer := "From: zoe@example.com\r\nTo: " + replyTo + "\r\nSubject: Re: Confirm\r\nMessage-ID: <r2@example.com>\r\n\r\nyes\r\n"
	confirm := []string{"ORIGINAL_RECIPIENT=" + replyTo, "SENDER=zoe@example.com"}
	// Refused twice: the welcome (a courtesy, logged and dropped) and the
	// answer (which makes the MTA try again).
	srv.Fail("zoe@example.com", smtptest.Fault{Stage: "RCPT", Code: 421, Times: 2})
	if code, out := pipe(t, bin, env, answer, confirm...); code != 75 {
		t.Fatalf("answer refused: exit %d, want 75: %s", code, out)
	}
	if code, out := pipe(t, bin, env, answer, confirm...); code != 0 {
		t.Fatalf("retry of the confirmation: exit %d: %s", code, out)
	}
	msgs := srv.Messages()
	_, body := decodedBody(t, msgs[len(msgs)-1].Data)
	if !strings.Contains(body, "zoe@example.com is subscribed to bpf-updates") || strings.Contains(body, "****") {
		t.Fatalf("answer to the retried confirmation:\n%s", body)
	}
	if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "active"); !strings.Contains(out, "zoe@example.com") {
		t.Fatalf("not active:\n%s", out)
	}
}
