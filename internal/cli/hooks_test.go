package cli

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hookSink is a webhook receiver on loopback that keeps what it got.
type hookSink struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	sigs   []string // "id.timestamp signature" of each request
	status atomic.Int32
}

func newHookSink(t *testing.T, status int) *hookSink {
	s := &hookSink{}
	s.status.Store(int32(status))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(b))
		s.sigs = append(s.sigs, r.Header.Get("webhook-id")+"."+r.Header.Get("webhook-timestamp")+" "+r.Header.Get("webhook-signature"))
		s.mu.Unlock()
		w.WriteHeader(int(s.status.Load()))
	}))
	t.Cleanup(s.Close)
	return s
}

// checkSigned verifies every request as a receiver would (Standard
// Webhooks: HMAC-SHA256 keyed with the secret's base64 after whsec_, over
// "id.timestamp.body").
func (s *hookSink) checkSigned(t *testing.T, secret string) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, b := range s.bodies {
		prefix, sig, _ := strings.Cut(s.sigs[i], " ")
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(prefix + "." + b))
		if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); sig != want {
			t.Errorf("request %d: signature %q, want %q", i, sig, want)
		}
	}
}

func (s *hookSink) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

var addedHook = regexp.MustCompile(`Added hook #(\d+).*\nSigning secret \(shown only now\): (whsec_[A-Za-z0-9+/=]+)\n`)

// TestHooksCommands: add validates the URL and every event, prints the
// secret once; ls shows the hook, its queue and attempts without the
// secret; test pings it; rm removes it.
func TestHooksCommands(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news")
	sink := newHookSink(t, 200)
	for _, c := range []struct{ args, says string }{
		{"ftp://example.org/in --events subscribed", "http:// or https://"},
		{"/relative --events subscribed", "http:// or https://"},
		{sink.URL + " --events subscribed,joined", `unknown event "joined"`},
		{sink.URL + " --events ,", "no events given"},
		{sink.URL + " --events subscribed --list nosuch", "nosuch"},
	} {
		out, errOut, code := e.run(append([]string{"hooks", "add"}, strings.Fields(c.args)...)...)
		if code == 0 || out != "" || !strings.Contains(errOut, c.says) {
			t.Errorf("hooks add %s: code %d, %q %q", c.args, code, out, errOut)
		}
	}
	if out := e.mustRun("hooks", "ls"); !strings.Contains(out, "No hooks") {
		t.Fatalf("a refused add was stored:\n%s", out)
	}
	out := e.mustRun("hooks", "add", sink.URL, "--events", "subscribed,send.done", "--list", "news")
	m := addedHook.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "subscribed, send.done on news") {
		t.Fatalf("add said:\n%s", out)
	}
	secret := m[2]
	e.mustRun("subscribers", "add", "news", "ann@example.org")
	ls := e.mustRun("hooks", "ls")
	if strings.Contains(ls, secret) || !strings.Contains(ls, "#"+m[1]+" "+sink.URL) || !strings.Contains(ls, "1 queued") {
		t.Fatalf("ls:\n%s", ls)
	}
	if got := e.mustRun("hooks", "test", m[1]); !strings.Contains(got, "Delivered: HTTP 200") {
		t.Fatalf("test said %q", got)
	}
	if b := sink.got(); len(b) != 1 || !strings.Contains(b[0], `"type":"ping"`) {
		t.Fatalf("receiver got %v", b)
	}
	sink.checkSigned(t, secret)
	var hooks []struct {
		ID       int64
		Queued   int
		Secret   string
		Attempts []struct {
			Type   string
			Status int
		}
	}
	js := e.mustRun("hooks", "ls", "--json")
	if err := json.Unmarshal([]byte(js), &hooks); err != nil || strings.Contains(js, secret) {
		t.Fatalf("ls --json: %v\n%s", err, js)
	}
	if len(hooks) != 1 || hooks[0].Queued != 1 || len(hooks[0].Attempts) != 1 || hooks[0].Attempts[0].Status != 200 || hooks[0].Attempts[0].Type != "ping" {
		t.Fatalf("ls --json: %+v", hooks)
	}
	sink.status.Store(http.StatusInternalServerError)
	if out, errOut, code := e.run("hooks", "test", m[1]); code == 0 || out != "" || !strings.Contains(errOut, "HTTP 500") {
		t.Fatalf("a failing test: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := e.run("hooks", "test", "x1"); code == 0 || !strings.Contains(errOut, "not a hook id") {
		t.Fatalf("a bad id: %d %q", code, errOut)
	}
	if _, errOut, code := e.run("hooks", "enable", m[1]); code == 0 || !strings.Contains(errOut, "not disabled") {
		t.Fatalf("enable of an active hook: %d %q", code, errOut)
	}
	sink.status.Store(http.StatusGone) // the receiver says it is gone: the hook is disabled
	e.run("hooks", "test", m[1])
	if ls := e.mustRun("hooks", "ls"); !strings.Contains(ls, "410") {
		t.Fatalf("after a 410:\n%s", ls)
	}
	if got := e.mustRun("hooks", "enable", m[1]); !strings.Contains(got, "Enabled hook #"+m[1]) {
		t.Fatalf("enable said %q", got)
	}
	sink.status.Store(http.StatusOK)
	if got := e.mustRun("hooks", "test", m[1]); !strings.Contains(got, "Delivered: HTTP 200") {
		t.Fatalf("test after enable said %q", got)
	}
	if _, errOut, code := e.run("hooks", "enable", m[1]); code == 0 || !strings.Contains(errOut, "not disabled") {
		t.Fatalf("enable again: %d %q", code, errOut)
	}
	if audit := e.mustRun("audit", "--list", "news"); !strings.Contains(audit, "hook enabled") || !strings.Contains(audit, "hook added") {
		t.Fatalf("audit log of the hook:\n%s", audit)
	}
	e.mustRun("hooks", "rm", m[1])
	if _, errOut, code := e.run("hooks", "rm", m[1]); code == 0 || !strings.Contains(errOut, "no hook #"+m[1]) {
		t.Fatalf("rm again: %d %q", code, errOut)
	}
}

// TestHooksReachTheReceiverThroughServe: under `mailer serve`, a reader
// leaving by the web page and one joining by a mail command each reach
// the receiver, signed, with their list, address and status.
func TestHooksReachTheReceiverThroughServe(t *testing.T) {
	e := newLeaveEnv(t)
	sink := newHookSink(t, 204)
	m := addedHook.FindStringSubmatch(e.mustRun("hooks", "add", sink.URL, "--events", "subscribed,unsubscribed"))
	if m == nil {
		t.Fatal("hooks add printed no secret")
	}
	tokens := map[string]string{leaver(1): e.token(t, leaver(1))}
	e.leave(t, "web", leaver(1), tokens)
	joiner := "newcomer@example.org"
	e.lmtpDeliver(t, joiner, "majordomo@lists.example.org", "From: "+joiner+"\nSubject: x\nMessage-ID: <join-1@example.org>\n\nsubscribe bpf-updates\n")
	var tok string
	for _, m := range e.srv.Messages() {
		if m.To[0] == joiner {
			if s := confirmToken.FindStringSubmatch(string(m.Data)); s != nil {
				tok = s[1]
			}
		}
	}
	if tok == "" {
		t.Fatal("no confirmation request for the mail subscribe")
	}
	e.lmtpDeliver(t, joiner, "bpf-updates-confirm+"+tok+"@lists.example.org", "From: "+joiner+"\nSubject: Re: confirm\nMessage-ID: <join-2@example.org>\n\nyes\n")
	want := map[string]string{leaver(1): "unsubscribed", joiner: "subscribed"}
	seen := map[string]string{}
	for deadline := time.Now().Add(20 * time.Second); len(seen) < len(want); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %v, want %v", seen, want)
		}
		for _, b := range sink.got() {
			var p struct {
				Type string
				Data struct{ List, Address, Status string }
			}
			if err := json.Unmarshal([]byte(b), &p); err != nil || p.Data.List != "bpf-updates" {
				t.Fatalf("payload %s: %v", b, err)
			}
			seen[p.Data.Address] = p.Type
		}
	}
	sink.checkSigned(t, m[2])
	for a, typ := range want {
		if seen[a] != typ {
			t.Errorf("%s: got %q, want %q", a, seen[a], typ)
		}
	}
	if ls := e.mustRun("hooks", "ls"); !strings.Contains(ls, "HTTP 204") || !strings.Contains(ls, "0 queued") {
		t.Errorf("ls after delivery:\n%s", ls)
	}
}
