package sending_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"mailer/internal/app"
	"mailer/internal/bounces"
	"mailer/internal/fault"
	"mailer/internal/sending"
	"mailer/internal/smtptest"
)

// relayDSN is the report a relay that took msg for rcpt sends back later:
// an RFC 3464 DSN returning the original's header (text/rfc822-headers),
// as Postfix does for mail it accepted and could not deliver.
func relayDSN(rcpt string, msg []byte) []byte {
	header, _, _ := bytes.Cut(bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")), []byte("\n\n"))
	return []byte(fmt.Sprintf(`From: MAILER-DAEMON@relay.example.net (Mail Delivery System)
To: news-bounces@lists.example.org
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn.%[1]s@relay.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.net

Final-Recipient: rfc822; %[1]s
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <%[1]s>: Recipient address rejected: User unknown

--B
Content-Type: text/rfc822-headers

%[2]s

--B--
`, rcpt, header))
}

// TestBounceReportsTripTheBreaker: a relay takes every message of a stale
// list and reports 40% of them undeliverable by mail afterwards, so every
// attempt the send makes succeeds. The bounce service ties each report to
// the send by the original's Message-ID; the breaker counts them in its
// window and pauses the send near the minimum sample, naming the reports;
// status counts the send's bounce reports.
func TestBounceReportsTripTheBreaker(t *testing.T) {
	e := staleEnv(t, 1000, func(int) bool { return false })
	a, err := app.Build(e.cfg, e.db, app.Options{Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reported := make(chan error, 1000)
	e.srv.Accepted = func(m smtptest.Message) {
		var i int
		if _, err := fmt.Sscanf(m.To[0], "member%d@", &i); err != nil || i%5 != 1 && i%5 != 3 {
			return
		}
		_, _, err := a.Bounces.Handle(ctx, bounces.Message{List: "news", Recipient: "news-bounces@lists.example.org",
			Raw: relayDSN(m.To[0], m.Data)})
		reported <- err
	}
	out, err := e.mustPlan(sending.PlanOptions{}).Run(ctx, sending.RunOptions{Progress: &said{}, Refusals: a.Bounces,
		Breaker: a.BreakerHooks(), Now: e.clock})
	if fault.CodeOf(err) != fault.Unavailable || out.Finished {
		t.Fatalf("run: %+v, %v; want the breaker's pause", out, err)
	}
	close(reported)
	for err := range reported {
		if err != nil {
			t.Fatalf("a bounce report failed: %v", err)
		}
	}
	send, _ := e.db.GetSend(ctx, out.Send)
	t.Logf("paused after %d delivered, %d refused: %s", out.Counts.Sent, out.Counts.Failed, send.PauseReason)
	if out.Counts.Failed != 0 || out.Counts.Sent < 100 || out.Counts.Sent > 100+4*e.cfg.Concurrency {
		t.Fatalf("%d delivered and %d refused before the pause, want the minimum sample of 100 delivered", out.Counts.Sent, out.Counts.Failed)
	}
	if !send.Paused || !strings.Contains(send.PauseReason, "reported by bounce mail since") ||
		!strings.Contains(send.PauseReason, "0 refused when sent") {
		t.Fatalf("pause reason %q", send.PauseReason)
	}
	ov, err := sending.Status(ctx, e.db, "issue-06")
	if err != nil || len(ov.Sends) != 1 {
		t.Fatalf("status: %+v, %v", ov, err)
	}
	if n, want := ov.Sends[0].BounceReports, out.Counts.Sent*2/5; n < want-5 || n > want+5 {
		t.Fatalf("status counts %d bounce reports for %d delivered, want about %d", n, out.Counts.Sent, want)
	}
}
