package esphooks_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"mailer/internal/esphooks"
)

func sesHooks(t *testing.T) (*hookServer, *fakeSNS) {
	t.Helper()
	sns := startSNS(t)
	return serveHooks(t, esphooks.NewSES(esphooks.SESOptions{Topics: []string{testTopic}, Client: sns.client})), sns
}

var snsHeader = func(typ string) http.Header { return http.Header{"X-Amz-Sns-Message-Type": {typ}} }

// TestSESBounceAndComplaint: the documented SES bounce (signed as version
// 1) and complaint (version 2) become a hard bounce and a complaint, with
// what SES echoes of the message; the certificate is fetched once, from
// the SNS host only.
func TestSESBounceAndComplaint(t *testing.T) {
	hs, sns := sesHooks(t)
	for _, c := range []struct{ file, version, id string }{{"ses_bounce.json", "1", "m-1"}, {"ses_complaint.json", "2", "m-2"}} {
		if st, body := hs.post(t, "ses", sns.sign(t, notification(fixture(t, c.file), c.id), c.version), snsHeader("Notification")); st != 200 {
			t.Fatalf("%s: status %d %s\n%s", c.file, st, body, hs.log)
		}
	}
	evs := hs.sink.events()
	if got := kinds(evs); !slices.Equal(got, []string{"hard bounce jane@example.com", "complaint richard@example.com"}) {
		t.Fatalf("events %q", got)
	}
	b, c := evs[0], evs[1]
	if b.MessageID != "custom-message-ID" || b.ReturnPath != "john@example.com" || !strings.Contains(b.Diagnostic, "550 5.1.1") ||
		b.Provider != "ses" || !b.At.Equal(time.Date(2016, 1, 27, 14, 59, 38, 237e6, time.UTC)) {
		t.Fatalf("bounce %+v", b)
	}
	if c.FeedbackType != "abuse" || c.MessageID != "custom-message-ID" {
		t.Fatalf("complaint %+v", c)
	}
	certs, _, hosts := sns.counts()
	if certs != 1 {
		t.Fatalf("certificate fetched %d times, want once (cached)", certs)
	}
	for _, h := range hosts {
		if h != snsHost+":443" {
			t.Fatalf("dialed %s", h)
		}
	}
}

// TestSESRefusals: a message that is not SNS's for the pinned topic,
// signed now, is refused with 403 and applies nothing; a certificate is
// never fetched from anywhere but the topic's SNS host.
func TestSESRefusals(t *testing.T) {
	hs, sns := sesHooks(t)
	msg := fixture(t, "ses_bounce.json")
	tamper := func(mut func(*snsEnvelope), version string) []byte {
		e := notification(msg, "m-x")
		mut(e)
		return sns.sign(t, e, version)
	}
	cases := map[string][]byte{
		"other topic":     tamper(func(e *snsEnvelope) { e.TopicArn = "arn:aws:sns:us-east-1:999999999999:other" }, "2"),
		"stale":           tamper(func(e *snsEnvelope) { e.Timestamp = time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339) }, "2"),
		"cert elsewhere":  tamper(func(e *snsEnvelope) { e.SigningCertURL = "https://sns.evil.example/cert.pem" }, "1"),
		"cert other area": tamper(func(e *snsEnvelope) { e.SigningCertURL = "https://sns.eu-west-1.amazonaws.com/x.pem" }, "1"),
		"cert over http":  tamper(func(e *snsEnvelope) { e.SigningCertURL = "http://" + snsHost + "/x.pem" }, "1"),
		"version 3":       tamper(func(e *snsEnvelope) {}, "3"),
	}
	var changed snsEnvelope
	json.Unmarshal(tamper(func(e *snsEnvelope) {}, "2"), &changed)
	changed.Message = strings.Replace(changed.Message, "jane@example.com", "mary@example.com", 1)
	cases["message changed after signing"], _ = json.Marshal(changed)
	unsigned := changed
	unsigned.Signature = ""
	cases["no signature"], _ = json.Marshal(unsigned)
	for name, body := range cases {
		if st, _ := hs.post(t, "ses", body, snsHeader("Notification")); st != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, st)
		}
	}
	if evs := hs.sink.events(); len(evs) != 0 {
		t.Fatalf("applied %v", kinds(evs))
	}
	_, _, hosts := sns.counts()
	for _, h := range hosts {
		if h != snsHost+":443" {
			t.Fatalf("dialed %s: a certificate URL outside the topic's SNS host was fetched", h)
		}
	}
	if !strings.Contains(hs.log.String(), "is not one of webhooks.ses_topic_arns") {
		t.Fatalf("refusal reason not logged:\n%s", hs.log)
	}
}

// TestSNSSubscription: a subscription to the pinned topic is confirmed
// once; one to another topic, or pointing elsewhere, never is.
func TestSNSSubscription(t *testing.T) {
	hs, sns := sesHooks(t)
	other := subscription("arn:aws:sns:us-east-1:999999999999:someone-elses")
	if st, _ := hs.post(t, "ses", sns.sign(t, other, "2"), snsHeader("SubscriptionConfirmation")); st != http.StatusForbidden {
		t.Fatalf("other topic: status %d, want 403", st)
	}
	away := subscription(testTopic)
	away.SubscribeURL = "https://attacker.example/?Action=ConfirmSubscription"
	if st, _ := hs.post(t, "ses", sns.sign(t, away, "2"), snsHeader("SubscriptionConfirmation")); st != http.StatusForbidden {
		t.Fatalf("SubscribeURL elsewhere: status %d, want 403", st)
	}
	if _, confs, _ := sns.counts(); confs != 0 {
		t.Fatalf("confirmed %d subscriptions that are not ours", confs)
	}
	if st, body := hs.post(t, "ses", sns.sign(t, subscription(testTopic), "1"), snsHeader("SubscriptionConfirmation")); st != 200 {
		t.Fatalf("pinned topic: status %d %s", st, body)
	}
	if _, confs, _ := sns.counts(); confs != 1 {
		t.Fatalf("confirmations %d, want 1", confs)
	}
	if len(hs.sink.events()) != 0 {
		t.Fatal("a subscription applied events")
	}
}

// TestSNSDeliveredTwice: SNS delivers at least once; the same message id
// is applied once, and again after its events failed (the retry).
func TestSNSDeliveredTwice(t *testing.T) {
	hs, sns := sesHooks(t)
	body := sns.sign(t, notification(fixture(t, "ses_bounce.json"), "m-dup"), "2")
	hs.sink.setFail(true)
	if st, _ := hs.post(t, "ses", body, nil); st != http.StatusServiceUnavailable {
		t.Fatalf("failing sink: status %d, want 503", st)
	}
	hs.sink.setFail(false)
	for range 2 {
		if st, _ := hs.post(t, "ses", body, nil); st != 200 {
			t.Fatalf("status %d", st)
		}
	}
	if n := len(hs.sink.events()); n != 1 {
		t.Fatalf("applied %d times, want once", n)
	}
}
