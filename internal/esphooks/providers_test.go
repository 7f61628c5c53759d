package esphooks_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"mailer/internal/esphooks"
)

func basic(user, pass string) http.Header {
	r, _ := http.NewRequest("POST", "http://x/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header
}

// TestPostmark: Postmark's documented bounce, spam complaint and
// subscription change, with the configured credentials; without them 401,
// with wrong ones 403, and nothing applied.
func TestPostmark(t *testing.T) {
	hs := serveHooks(t, esphooks.NewPostmark("postmark", "s3cret-0123456789"))
	good := basic("postmark", "s3cret-0123456789")
	for _, f := range []string{"postmark_bounce.json", "postmark_spam.json", "postmark_unsubscribe.json", "postmark_resubscribe.json"} {
		if st, body := hs.post(t, "postmark", fixture(t, f), good); st != 200 {
			t.Fatalf("%s: %d %s", f, st, body)
		}
	}
	want := []string{"hard bounce john@example.com", "complaint spam@example.com", "unsubscribe john@example.com"}
	if got := kinds(hs.sink.events()); !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q (a reactivation is no event)", got, want)
	}
	if ev := hs.sink.events()[0]; ev.MessageID != "883953f4-6105-42a2-a16a-77a8eac79483" || ev.Diagnostic != "Test bounce details" {
		t.Fatalf("bounce %+v", ev)
	}
	for name, c := range map[string]struct {
		h    http.Header
		want int
	}{
		"none": {nil, 401}, "wrong password": {basic("postmark", "s3cret-0123456780"), 403},
		"wrong user": {basic("postmar", "s3cret-0123456789"), 403}, "empty": {basic("", ""), 403},
	} {
		if st, _ := hs.post(t, "postmark", fixture(t, "postmark_bounce.json"), c.h); st != c.want {
			t.Errorf("%s: status %d, want %d", name, st, c.want)
		}
	}
	if n := len(hs.sink.events()); n != 3 {
		t.Fatalf("refused requests applied events: %d", n)
	}
	if strings.Contains(hs.log.String(), "s3cret") {
		t.Fatalf("the secret is in the log:\n%s", hs.log)
	}
}

func sendgridSign(t *testing.T, key *ecdsa.PrivateKey, body []byte, at time.Time) http.Header {
	t.Helper()
	ts := strconv.FormatInt(at.Unix(), 10)
	sum := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{esphooks.SendGridSignatureHeader: {base64.StdEncoding.EncodeToString(sig)}, esphooks.SendGridTimestampHeader: {ts}}
}

// TestSendGrid: the documented batch, signed now with the configured
// key: bounce (hard), blocked (soft), deferred (soft), dropped for a
// bounced address (hard), spamreport, unsubscribe and group_unsubscribe;
// delivered is nothing. Unsigned 401; a changed body, another key or a
// stale timestamp 403.
func TestSendGrid(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	hs := serveHooks(t, esphooks.NewSendGrid(&key.PublicKey, nil))
	body := fixture(t, "sendgrid_events.json")
	if st, resp := hs.post(t, "sendgrid", body, sendgridSign(t, key, body, time.Now())); st != 200 {
		t.Fatalf("status %d %s", st, resp)
	}
	a := "alex@example.com"
	want := []string{"hard bounce " + a, "soft bounce " + a, "soft bounce " + a, "hard bounce " + a, "complaint " + a, "unsubscribe " + a, "unsubscribe " + a}
	evs := hs.sink.events()
	if got := kinds(evs); !slices.Equal(got, want) {
		t.Fatalf("events %q\nwant %q", got, want)
	}
	if evs[0].MessageID != "14c5d75ce93.dfd.64b469@ismtpd-555" || evs[0].Diagnostic != "5.0.0 500 unknown recipient" {
		t.Fatalf("bounce %+v", evs[0])
	}
	changed := []byte(strings.Replace(string(body), "alex@", "alec@", 1))
	for name, c := range map[string]struct {
		body []byte
		h    http.Header
		want int
	}{
		"unsigned":     {body, nil, 401},
		"changed body": {changed, sendgridSign(t, key, body, time.Now()), 403},
		"other key":    {body, sendgridSign(t, other, body, time.Now()), 403},
		"stale":        {body, sendgridSign(t, key, body, time.Now().Add(-10*time.Minute)), 403},
		"future":       {body, sendgridSign(t, key, body, time.Now().Add(10*time.Minute)), 403},
	} {
		if st, _ := hs.post(t, "sendgrid", c.body, c.h); st != c.want {
			t.Errorf("%s: status %d, want %d", name, st, c.want)
		}
	}
	if n := len(hs.sink.events()); n != len(want) {
		t.Fatalf("refused batches applied events: %d", n)
	}
}

const mailgunKey = "key-0123456789abcdef0123456789abcdef"

// mailgunBody wraps a documented event-data in a signature made with key.
func mailgunBody(t *testing.T, eventData []byte, key, token string, at time.Time) []byte {
	t.Helper()
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts + token))
	b, err := json.Marshal(map[string]any{
		"signature":  map[string]string{"timestamp": ts, "token": token, "signature": hex.EncodeToString(mac.Sum(nil))},
		"event-data": json.RawMessage(eventData),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMailgun: the documented failed (permanent, temporary), complained
// and unsubscribed events, signed now, map to hard, soft, complaint and
// unsubscribe.
func TestMailgun(t *testing.T) {
	hs := serveHooks(t, esphooks.NewMailgun(mailgunKey, nil))
	for i, f := range []string{"mailgun_failed_permanent.json", "mailgun_failed_temporary.json", "mailgun_complained.json", "mailgun_unsubscribed.json"} {
		body := mailgunBody(t, fixture(t, f), mailgunKey, fmt.Sprintf("token-%d-0123456789abcdef0123456789abcdef", i), time.Now())
		if st, resp := hs.post(t, "mailgun", body, nil); st != 200 {
			t.Fatalf("%s: %d %s", f, st, resp)
		}
	}
	want := []string{"hard bounce invalid@example.com", "soft bounce undeliverable@nomx.example.com",
		"complaint recipient@example.com", "unsubscribe recipient@example.com"}
	evs := hs.sink.events()
	if got := kinds(evs); !slices.Equal(got, want) {
		t.Fatalf("events %q\nwant %q", got, want)
	}
	if evs[0].MessageID != "20180812214658.1.0DF563D0B3597700@example.org" || !strings.HasPrefix(evs[0].Diagnostic, "550 5.1.1 The email account") {
		t.Fatalf("failure %+v", evs[0])
	}
}
