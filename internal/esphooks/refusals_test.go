package esphooks_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"mailer/internal/esphooks"
	"mailer/internal/listaddr"
)

// TestMailgunRefusals: a replayed token, a stale or future timestamp, a
// wrong key or a missing signature are refused and apply nothing; a token
// whose events could not be applied (503) is taken again on the retry.
func TestMailgunRefusals(t *testing.T) {
	hs := serveHooks(t, esphooks.NewMailgun(mailgunKey, nil))
	data := fixture(t, "mailgun_failed_permanent.json")
	body := mailgunBody(t, data, mailgunKey, "replayed-token-0123456789abcdef0123456789", time.Now())
	if st, _ := hs.post(t, "mailgun", body, nil); st != 200 {
		t.Fatalf("first: status %d", st)
	}
	if st, _ := hs.post(t, "mailgun", body, nil); st != http.StatusForbidden {
		t.Fatalf("replay: status %d, want 403", st)
	}
	for name, c := range map[string]struct {
		body []byte
		want int
	}{
		"stale":     {mailgunBody(t, data, mailgunKey, "t-stale-0123456789abcdef0123456789ab", time.Now().Add(-6*time.Minute)), 403},
		"future":    {mailgunBody(t, data, mailgunKey, "t-future-0123456789abcdef0123456789a", time.Now().Add(6*time.Minute)), 403},
		"wrong key": {mailgunBody(t, data, "key-ffffffffffffffffffffffffffffffff", "t-key-0123456789abcdef0123456789abcd", time.Now()), 403},
		"unsigned":  {[]byte(`{"event-data":` + string(data) + `}`), 401},
		"not json":  {[]byte("signature=abc&token=def"), 400},
	} {
		if st, _ := hs.post(t, "mailgun", c.body, nil); st != c.want {
			t.Errorf("%s: status %d, want %d", name, st, c.want)
		}
	}
	if n := len(hs.sink.events()); n != 1 {
		t.Fatalf("applied %d events, want the first one only", n)
	}
	retry := mailgunBody(t, data, mailgunKey, "retried-token-0123456789abcdef0123456789", time.Now())
	hs.sink.setFail(true)
	if st, _ := hs.post(t, "mailgun", retry, nil); st != http.StatusServiceUnavailable {
		t.Fatalf("failing sink: status %d, want 503", st)
	}
	hs.sink.setFail(false)
	if st, _ := hs.post(t, "mailgun", retry, nil); st != 200 {
		t.Fatalf("retry after 503: status %d, want 200", st)
	}
	if n := len(hs.sink.events()); n != 2 {
		t.Fatalf("applied %d events, want 2", n)
	}
	if strings.Contains(hs.log.String(), mailgunKey) {
		t.Fatal("the signing key is in the log")
	}
}

// TestHandlerRoutes: a hook not configured is 404, like any other name; a
// configured one takes POST only.
func TestHandlerRoutes(t *testing.T) {
	hs := serveHooks(t, esphooks.NewMailgun(mailgunKey, nil))
	for _, name := range []string{"ses", "postmark", "sendgrid", "nope", ""} {
		if st, _ := hs.post(t, name, []byte("{}"), nil); st != http.StatusNotFound {
			t.Errorf("/hooks/%s: status %d, want 404", name, st)
		}
	}
	res, err := http.Get(hs.url + "mailgun")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" {
		t.Fatalf("GET: status %d Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}

// TestLocate: the echoes of a message mailer sent name its list, member
// and token: the VERP return path and both forms of List-Unsubscribe.
func TestLocate(t *testing.T) {
	b := listaddr.New("lists.example.org", "https://lists.example.org", nil)
	ev := esphooks.Event{ReturnPath: b.VERP("news", "alice@example.org"),
		ListUnsubscribe: "<" + b.UnsubscribeURL("tok123abc") + ">,\r\n <mailto:" + b.TokenUnsubscribe("news", "tok123abc") + "?subject=unsubscribe>"}
	if o := esphooks.Locate(b, ev); o != (esphooks.Origin{List: "news", Member: "alice@example.org", Token: "tok123abc"}) {
		t.Fatalf("origin %+v", o)
	}
	web := esphooks.Event{ListUnsubscribe: "<" + b.UnsubscribeURL("t2") + ">"}
	if o := esphooks.Locate(b, web); o.Token != "t2" || o.List != "" {
		t.Fatalf("web link only: %+v", o)
	}
	foreign := esphooks.Event{ReturnPath: "bounces+x=y@sendgrid.net", ListUnsubscribe: "<https://evil.example/u/T3>, <mailto:news-unsubscribe+T3@evil.example>"}
	if o := esphooks.Locate(b, foreign); o != (esphooks.Origin{}) {
		t.Fatalf("foreign echoes read as ours: %+v", o)
	}
}
