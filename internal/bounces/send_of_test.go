package bounces_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"mailer/internal/bounces"
	"mailer/internal/listaddr"
	"mailer/internal/render"
	"mailer/internal/store"
	"mailer/internal/token"
)

// realReport is a real report of the corpus (internal/bounce/testdata)
// with the original it returns changed as ours would read: old replaced
// by repl.
func realReport(t *testing.T, file, old, repl string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../bounce/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), old) {
		t.Fatalf("%s does not hold %q", file, old)
	}
	return []byte(strings.Replace(string(raw), old, repl, 1))
}

// TestBounceReportsCountAgainstTheirSend: a bounce report is tied to the
// send whose message it returns, for that send's circuit breaker: by the
// Message-ID of the original's header part (a DSN returning
// text/rfc822-headers), or by our Feedback-ID quoted in the text (qmail
// returns the original as text). A Feedback-ID naming another list's send,
// or a report naming no send of ours, scores the member but counts against
// no send.
func TestBounceReportsCountAgainstTheirSend(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 5, Window: 30 * 24 * time.Hour})
	e.join("news", "recipient@example.net", store.Active)
	e.join("news", "userx@example.de", store.Active)
	e.join("other", "someone@example.org", store.Active)
	news, other := e.startSend("news", "i.news"), e.startSend("other", "i.other")
	handle := func(raw []byte, wantSend int) {
		t.Helper()
		out, _, err := e.svc.Handle(e.ctx, bounces.Message{List: "news", Recipient: "news-bounces@" + host, Raw: raw})
		if err != nil || len(out) != 1 || !out[0].Update.Member {
			t.Fatalf("Handle: %+v, %v", out, err)
		}
		if n, err := e.db.SendHardBounces(e.ctx, news.ID); err != nil || n != wantSend {
			t.Fatalf("send #%d has %d bounce reports (%v), want %d", news.ID, n, err, wantSend)
		}
	}
	sub := e.member("news", "recipient@example.net").SubscriberID
	handle(realReport(t, "bounceparser/aol.unknown.msg", "<200606062115.k56LFe7d012436@somehost.example.com>",
		fmt.Sprintf("<i.news.%d@%s>", sub, host)), 1)

	quoteFID := func(id int64) []byte {
		return realReport(t, "flufl/qmail_01.txt", "Message removed",
			"Message-Id: <x@elsewhere.example>\nFeedback-ID: "+render.FeedbackID(id, "news", render.MailIssue)+"\n\nHi")
	}
	handle(quoteFID(other.ID), 1) // another list's send: not this one's, nor that one's
	if n, _ := e.db.SendHardBounces(e.ctx, other.ID); n != 0 {
		t.Fatalf("a report to news counted against other's send #%d", other.ID)
	}
	handle(quoteFID(news.ID), 2)
	handle(quoteFID(news.ID), 2) // the same message reported again counts once
}

// TestRelayedBounceCountsAgainstItsSend: a relay's webhook naming the
// original's Message-ID ties its hard bounce to the send; a soft one is
// kept but not counted as hard.
func TestRelayedBounceCountsAgainstItsSend(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 5, Window: 30 * 24 * time.Hour})
	signer, err := token.NewSigner("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Identify(listaddr.New(host, "https://"+host, nil), signer)
	e.join("news", "ann@example.net", store.Active)
	e.join("news", "bob@example.net", store.Active)
	send := e.startSend("news", "i.n")
	for _, r := range []struct {
		who  string
		kind bounces.RelayedKind
		want int
	}{{"bob@example.net", bounces.RelayedSoft, 0}, {"ann@example.net", bounces.RelayedHard, 1}} {
		id := fmt.Sprintf("<i.n.%d@%s>", e.member("news", r.who).SubscriberID, host)
		if err := e.svc.Relayed(e.ctx, bounces.Relayed{Kind: r.kind, Provider: "testrelay", MessageID: id, Recipient: r.who}); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.db.SendHardBounces(e.ctx, send.ID); n != r.want {
			t.Fatalf("after %s's report: %d hard bounce reports, want %d", r.who, n, r.want)
		}
	}
}
