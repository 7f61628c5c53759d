package serve

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/app"
	"mailer/internal/store"
)

// TestRunMountsHooks: the web listener answers /hooks/NAME for the
// configured relays (an unsigned Mailgun call is refused by the hook
// itself) and 404 for the others, beside the pages.
func TestRunMountsHooks(t *testing.T) {
	a := newApp(t)
	a.Config.Webhooks.MailgunSigningKey = "mailgun-key-0123456789abcdef"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, a, Options{HTTP: "127.0.0.1:0", NoDeliver: true, Out: &syncBuffer{},
			Ready: func(a Addrs) { ready <- a.HTTP }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not start")
	}
	for path, want := range map[string]int{"/hooks/mailgun": 401, "/hooks/ses": 404, "/hooks/postmark": 404} {
		res, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(`{"event-data":{}}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("POST %s: status %d, want %d", path, res.StatusCode, want)
		}
	}
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz beside the hooks: %v %v", err, res)
	}
	res.Body.Close()
}

// TestRelayEventsReachTheMembers: signed Mailgun events posted to the
// running listener act on real members through the bounce service: a
// complaint stops its member as complained, the relay's unsubscribe makes
// its member leave, and an event about nobody of ours changes nothing and
// is still answered 200 (the relay must not retry it for ever).
func TestRelayEventsReachTheMembers(t *testing.T) {
	a := newApp(t)
	const key = "mailgun-key-0123456789abcdef"
	a.Config.Webhooks.MailgunSigningKey = key
	ctx := context.Background()
	l, err := a.DB.CreateList(ctx, "bpf-updates", store.ListSettings{})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"ann@example.org", "bob@example.org", "cy@example.org"} {
		ad, _ := address.Parse(addr)
		if _, err := a.DB.SetStatus(ctx, l, ad, store.Active, store.Evidence{Source: store.SourceAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	addr := serveHTTP(t, a)
	post := func(event, rcpt, token string) {
		t.Helper()
		data := fmt.Sprintf(`{"event":%q,"id":"ev-%s","timestamp":%d,"recipient":%q,"envelope":{"sender":%q},
			"message":{"headers":{"message-id":"x@example.org"}}}`, event, token, a.Now().Unix(), rcpt, a.Book.VERP("bpf-updates", rcpt))
		ts := strconv.FormatInt(a.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write([]byte(ts + token))
		body, _ := json.Marshal(map[string]any{"signature": map[string]string{"timestamp": ts, "token": token,
			"signature": hex.EncodeToString(mac.Sum(nil))}, "event-data": json.RawMessage(data)})
		res, err := http.Post("http://"+addr+"/hooks/mailgun", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s for %s: status %d", event, rcpt, res.StatusCode)
		}
	}
	post("complained", "ann@example.org", "token-1")
	post("unsubscribed", "bob@example.org", "token-2")
	post("complained", "stranger@example.org", "token-3")
	for who, want := range map[string]store.Status{"ann@example.org": store.Complained, "bob@example.org": store.Unsubscribed,
		"cy@example.org": store.Active} {
		m, err := a.DB.GetMember(ctx, l, who)
		if err != nil || m.Status != want {
			t.Errorf("%s: %+v %v, want %s", who, m, err, want)
		}
	}
	if _, err := a.DB.GetMember(ctx, l, "stranger@example.org"); err == nil {
		t.Error("an event about a stranger made a member")
	}
}

// serveHTTP runs the web listener of a until the test ends.
func serveHTTP(t *testing.T, a *app.App) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, a, Options{HTTP: "127.0.0.1:0", NoDeliver: true, Out: &syncBuffer{},
			Ready: func(a Addrs) { ready <- a.HTTP }})
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case addr := <-ready:
		return addr
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not start")
	}
	return ""
}
