package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"mailer/internal/outhooks"
	"mailer/internal/store"
)

// hook adds a hook as `mailer hooks add` does (outhooks.Add: a whsec_
// secret of its own) for list l, or every list when l is nil.
func (e *env) hook(rawURL string, l *store.List) *store.Hook {
	e.t.Helper()
	h, err := outhooks.Add(context.Background(), e.db, rawURL, "subscribed,send.done", l, store.Evidence{Operator: "test"})
	if err != nil {
		e.t.Fatal(err)
	}
	if !strings.HasPrefix(h.Secret, "whsec_") {
		e.t.Fatalf("hook secret %q is not whsec_", h.Secret)
	}
	return h
}

// receiver is a webhook receiver on a real socket that answers status
// and counts the requests it got.
func receiver(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(status)
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

// /hooks shows a site admin every hook with its attempts (a real ping,
// through the console's test button, to real receivers), never a secret;
// a list owner sees only the hooks of their lists, never a site-wide one,
// and may ping only those.
func TestHooksPage(t *testing.T) {
	e := newEnv(t)
	kn, _ := e.db.GetList(context.Background(), "kernel-news")
	okRecv, okN := receiver(t, http.StatusNoContent)
	badRecv, badN := receiver(t, http.StatusInternalServerError)
	mine := e.hook(okRecv.URL+"/alice", e.bpf)
	bobs := e.hook(badRecv.URL+"/bob", kn)
	site := e.hook(okRecv.URL+"/site", nil)
	if err := e.db.DisableHook(context.Background(), bobs.ID, "the receiver answered 410 Gone"); err != nil {
		t.Fatal(err)
	}

	rootC := e.login(root)
	tok := e.csrf(rootC)
	for _, h := range []*store.Hook{mine, bobs} {
		a := e.post(fmt.Sprintf("/hooks/%d/test", h.ID), rootC, url.Values{"csrf": {tok}})
		if a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/hooks?done=ping-") {
			t.Fatalf("admin ping of hook #%d: %d %s\n%s", h.ID, a.status, a.header.Get("Location"), a.body)
		}
	}
	if okN.Load() != 1 || badN.Load() != 1 {
		t.Fatalf("receivers got %d and %d requests, want 1 each", okN.Load(), badN.Load())
	}
	page := e.get("/hooks", rootC)
	if page.status != http.StatusOK {
		t.Fatalf("admin GET /hooks: %d\n%s", page.status, page.body)
	}
	for _, want := range []string{okRecv.URL + "/alice", badRecv.URL + "/bob", okRecv.URL + "/site",
		fmt.Sprintf(`id="hook-%d"`, site.ID), "every list", "bpf-updates", "kernel-news", "subscribed, send.done",
		"HTTP 204", `class="high">HTTP 500`, "disabled", "the receiver answered 410 Gone", "ping #",
		`href="/hooks"`, fmt.Sprintf(`action="/hooks/%d/test"`, site.ID)} {
		if !strings.Contains(page.body, want) {
			t.Errorf("admin's /hooks lacks %q", want)
		}
	}
	if strings.Contains(page.body, "whsec_") {
		t.Errorf("/hooks shows a hook secret:\n%s", page.body)
	}
	if strings.Contains(page.body, "<style") || strings.Contains(page.body, " style=") || strings.Contains(page.body, "<script>") {
		t.Errorf("/hooks has inline style or script")
	}

	aliceC := e.login(alice)
	own := e.get("/hooks", aliceC)
	if !strings.Contains(own.body, okRecv.URL+"/alice") || !strings.Contains(own.body, "HTTP 204") {
		t.Errorf("alice's /hooks lacks her hook or its attempt:\n%s", own.body)
	}
	for _, not := range []string{"/bob", "/site", "every list", "whsec_"} {
		if strings.Contains(own.body, not) {
			t.Errorf("alice's /hooks shows %q", not)
		}
	}
	aliceTok := e.csrf(aliceC)
	for _, h := range []*store.Hook{site, bobs} {
		if a := e.post(fmt.Sprintf("/hooks/%d/test", h.ID), aliceC, url.Values{"csrf": {aliceTok}}); a.status != http.StatusNotFound {
			t.Errorf("alice pings hook #%d: %d, want 404", h.ID, a.status)
		}
	}
	if a := e.post(fmt.Sprintf("/hooks/%d/test", mine.ID), aliceC, url.Values{"csrf": {"wrong"}}); a.status != http.StatusForbidden {
		t.Errorf("ping without the CSRF token: %d, want 403", a.status)
	}
	if a := e.post(fmt.Sprintf("/hooks/%d/test", mine.ID), aliceC, url.Values{"csrf": {aliceTok}}); a.status != http.StatusSeeOther || a.header.Get("Location") != fmt.Sprintf("/hooks?done=ping-delivered#hook-%d", mine.ID) {
		t.Errorf("alice pings her hook: %d %s", a.status, a.header.Get("Location"))
	}
	if okN.Load() != 2 || badN.Load() != 1 {
		t.Errorf("after alice's pings the receivers got %d and %d requests, want 2 and 1", okN.Load(), badN.Load())
	}
	if as, _ := e.db.HookAttempts(context.Background(), mine.ID, 10); len(as) != 2 {
		t.Errorf("alice's hook has %d attempts recorded, want 2", len(as))
	}
}

// Without a session /hooks sends the browser to the login page, and a
// ping is refused before anything goes out.
func TestHooksPageNeedsLogin(t *testing.T) {
	e := newEnv(t)
	recv, n := receiver(t, http.StatusNoContent)
	h := e.hook(recv.URL, nil)
	a := e.get("/hooks", "")
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/login?next=%2Fhooks" {
		t.Errorf("unauthenticated GET /hooks: %d %s, want 303 to /login", a.status, a.header.Get("Location"))
	}
	if a := e.post(fmt.Sprintf("/hooks/%d/test", h.ID), "", url.Values{}); a.status != http.StatusUnauthorized || n.Load() != 0 {
		t.Errorf("unauthenticated ping: %d, %d requests sent", a.status, n.Load())
	}
}
