package serve

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
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
			Ready: func(_, _, h string) { ready <- h }})
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
