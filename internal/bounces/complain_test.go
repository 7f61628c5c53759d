package bounces_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"mailer/internal/bounces"
	"mailer/internal/fault"
	"mailer/internal/listaddr"
	"mailer/internal/optin"
	"mailer/internal/store"
	"mailer/internal/token"
)

// A complaint stops the member at once, audited with type, provider and
// send, counted once however often it is reported; the next send leaves
// the member out; an owner's re-add needs --force.
func TestComplainStopsForGood(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 3, Window: 30 * 24 * time.Hour})
	e.join("news", "carol@example.net", store.Active)
	e.join("news", "dave@example.net", store.Active)
	l := listOf(t, e.db, "news")
	c := bounces.Complaint{FeedbackType: "abuse", Provider: "ses", MessageID: "<evt-1>", Raw: []byte("{}")}
	for range 2 {
		if err := e.svc.Complain(e.ctx, l, "Carol@Example.NET", c); err != nil {
			t.Fatal(err)
		}
	}
	if m := e.member("news", "carol@example.net"); m.Status != store.Complained || !strings.Contains(m.Reason, "abuse") || !strings.Contains(m.Reason, "ses") {
		t.Fatalf("member %+v", m)
	}
	if n, _ := e.db.ComplaintCounts(e.ctx); n["news"] != 1 {
		t.Fatalf("counted %v, want 1 for news", n)
	}
	if send := e.startSend("news", "i.n"); send.Total != 1 {
		t.Fatalf("next send: %+v (want dave alone)", send)
	}
	owners := optin.NewOwners(e.db)
	res, err := owners.Add(e.ctx, l, []string{"carol@example.net"}, "", false, admin)
	if err != nil || !errors.Is(res[0].Err, optin.ErrConsentWithdrawn) || !strings.Contains(res[0].Err.Error(), "spam") {
		t.Fatalf("re-add without --force: %+v %v", res, err)
	}
	if res, err := owners.Add(e.ctx, l, []string{"carol@example.net"}, "", true, admin); err != nil || res[0].Err != nil || !res[0].Changed {
		t.Fatalf("re-add with --force: %+v %v", res, err)
	}
	if err := e.svc.Complain(e.ctx, l, "nobody@example.net", c); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("a non-member's complaint: %v", err)
	}
	if len(e.srv.Messages()) != 0 {
		t.Fatal("a complaint was answered or notified")
	}
}

// A report quoting only our original's Message-ID names the delivery: the
// member and the send, counted against that send.
func TestComplaintByMessageID(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 3, Window: 30 * 24 * time.Hour})
	signer, err := token.NewSigner("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Identify(listaddr.New(host, "https://"+host, nil), signer)
	e.join("news", "carol@example.net", store.Active)
	send := e.startSend("news", "i.n")
	sub := e.member("news", "carol@example.net").SubscriberID
	raw, err := os.ReadFile("../bounce/testdata/arf/sisimai-p5-arf-02.eml")
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(raw), "Content-Type: message/rfc822\n\n")
	report := head + "Content-Type: message/rfc822\n\n" + fmt.Sprintf("Message-ID: <i.n.%d@%s>\nTo: redacted@example.net\n\nHi\n", sub, host) +
		"\n--_----------=F000000000000000000000--\n"
	_, detail, err := e.svc.Handle(e.ctx, bounces.Message{Recipient: "complaints@" + host, MessageID: "<r@yahoo>", Raw: []byte(report)})
	if err != nil || !strings.Contains(detail, "Message-ID") {
		t.Fatalf("%q %v", detail, err)
	}
	if n, _ := e.db.SendComplaints(e.ctx, send.ID); n != 1 || e.member("news", "carol@example.net").Status != store.Complained {
		t.Fatalf("send complaints %d", n)
	}
}
