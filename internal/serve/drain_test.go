package serve

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
	"time"

	"mailer/internal/store"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestStopFinishesQueuedSubscribes: a subscribe form answered just before
// serve is told to stop still gets its confirmation: the form's queued
// work is done before Run returns.
func TestStopFinishesQueuedSubscribes(t *testing.T) {
	a, srv := newAppWithRelay(t)
	if _, err := a.DB.CreateList(context.Background(), "news", store.ListSettings{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, a, Options{HTTP: "127.0.0.1:0", NoDeliver: true, Out: &syncBuffer{},
			Ready: func(a Addrs) { ready <- a.HTTP }})
	}()
	addr := <-ready
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	res, err := client.Get("http://" + addr + "/subscribe/news")
	if err != nil {
		t.Fatal(err)
	}
	form, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(form)
	if m == nil {
		t.Fatalf("no CSRF field in the form:\n%.400s", form)
	}
	res, err = client.PostForm("http://"+addr+"/subscribe/news", url.Values{"email": {"zoe@example.com"}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("subscribe: status %d", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("Run did not stop")
	}
	if n := srv.ByRecipient()["zoe@example.com"]; n != 1 {
		t.Fatalf("%d confirmations reached zoe after the stop, want 1", n)
	}
}
