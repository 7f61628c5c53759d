package cli

import (
	"bytes"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"mailer/internal/smtptest"
)

// The ways a reader leaves a list, each acting through its real entry
// point: the CLI, the web page's form, a mail client's RFC 8058 one-click
// POST, the preference page, a mail command confirmed by reply, the
// List-Unsubscribe mailto, bounces past the threshold, an owner's DELETE
// in the HTTP API and an owner's remove button in the console, all but the
// first through `mailer serve`.
var leaveWays = []string{"cli", "web", "one-click", "preferences", "mail-command", "mailto", "bounces", "api", "console"}

type leaveEnv struct {
	*testEnv
	srv               *smtptest.Server
	lmtp, http, admin string
	apiToken          string
	console           *http.Cookie // the session of the list's owner
}

func newLeaveEnv(t *testing.T) *leaveEnv {
	e, srv := newSendEnv(t, 31)
	e.env["MAILER_BOUNCE_THRESHOLD"] = "1"
	a := startServeAll(t, e, "127.0.0.1:0")
	le := &leaveEnv{testEnv: e, srv: srv, lmtp: a[0], http: a[2], admin: a[3]}
	le.apiToken = strings.TrimSpace(e.mustRun("tokens", "create", "crm", "--scope", "write", "--list", "bpf-updates"))
	le.console = le.consoleLogin(t)
	return le
}

// leaver is the reader who leaves by way i.
func leaver(i int) string { return fmt.Sprintf("reader%04d@example.org", 20+i) }

var listUnsubToken = regexp.MustCompile(`/u/([a-z2-7]+)>`)

func (e *leaveEnv) token(t *testing.T, addr string) string {
	eml := e.mustRun("render", "issue-06", "--to", addr, "--format", "eml")
	msg, err := mail.ReadMessage(strings.NewReader(eml))
	if err != nil {
		t.Fatal(err)
	}
	m := listUnsubToken.FindStringSubmatch(msg.Header.Get("List-Unsubscribe"))
	if m == nil {
		t.Fatalf("no token in %q", msg.Header.Get("List-Unsubscribe"))
	}
	return m[1]
}

func (e *leaveEnv) lmtpDeliver(t *testing.T, from, rcpt, raw string) {
	t.Helper()
	smtptest.DeliverLMTP(t, e.lmtp, from, rcpt, raw)
}

var confirmToken = regexp.MustCompile(`bpf-updates-confirm\+([a-z2-7]+)@`)

// leave makes addr leave by way, and returns once the change is committed.
func (e *leaveEnv) leave(t *testing.T, way, addr string, tokens map[string]string) {
	local, domain, _ := strings.Cut(addr, "@")
	switch way {
	case "cli":
		e.mustRun("subscribers", "rm", "bpf-updates", addr)
	case "web", "one-click":
		body := ""
		if way == "one-click" {
			body = "List-Unsubscribe=One-Click"
		}
		resp, err := http.Post("http://"+e.http+"/u/"+tokens[addr], "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s POST: %d", way, resp.StatusCode)
		}
	case "preferences":
		resp, err := http.Post("http://"+e.http+"/u/"+tokens[addr]+"/preferences", "application/x-www-form-urlencoded",
			strings.NewReader("leave=bpf-updates"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s POST: %d", way, resp.StatusCode)
		}
	case "mail-command":
		e.lmtpDeliver(t, addr, "majordomo@lists.example.org", "From: "+addr+"\nSubject: x\nMessage-ID: <leave-"+local+"@example.org>\n\nunsubscribe bpf-updates\n")
		var tok string
		for _, m := range e.srv.Messages() {
			if m.To[0] == addr {
				if s := confirmToken.FindStringSubmatch(string(m.Data)); s != nil {
					tok = s[1]
				}
			}
		}
		if tok == "" {
			t.Fatal("no confirmation request for the mail unsubscribe")
		}
		e.lmtpDeliver(t, addr, "bpf-updates-confirm+"+tok+"@lists.example.org", "From: "+addr+"\nSubject: Re: confirm\nMessage-ID: <confirm-"+local+"@example.org>\n\nyes\n")
	case "mailto":
		e.lmtpDeliver(t, addr, "bpf-updates-unsubscribe+"+tokens[addr]+"@lists.example.org", "From: "+addr+"\nSubject: unsubscribe\nMessage-ID: <mailto-"+local+"@example.org>\n\n")
	case "api":
		req, _ := http.NewRequest(http.MethodDelete, "http://"+e.admin+"/api/v1/lists/bpf-updates/members/"+addr, nil)
		req.Header.Set("Authorization", "Bearer "+e.apiToken)
		e.mustDo(t, way, req)
	case "console":
		csrf := e.consoleCSRF(t, "/lists/bpf-updates/members/"+addr)
		req, _ := http.NewRequest(http.MethodPost, "http://"+e.admin+"/lists/bpf-updates/members/"+addr+"/remove",
			strings.NewReader(url.Values{"csrf": {csrf}, "reason": {"asked by phone"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(e.console)
		e.mustDo(t, way, req)
	case "bounces":
		e.lmtpDeliver(t, "", "bpf-updates-bounces+"+local+"="+domain+"@lists.example.org",
			"From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail Returned to Sender\n\nThis is the mail system.\n\n<"+addr+">: host mx.example.net said: 550 5.1.1 User unknown\n")
	}
	out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "active")
	if strings.Contains(out, addr) {
		t.Fatalf("%s left by %s but is still active:\n%s", addr, way, out)
	}
}

func (e *leaveEnv) tokens(t *testing.T) map[string]string {
	out := map[string]string{}
	for i := range leaveWays {
		out[leaver(i)] = e.token(t, leaver(i))
	}
	return out
}

// issuesTo counts the issues (not confirmations or answers) addr received:
// issues carry the reader's VERP envelope sender.
func issuesTo(srv *smtptest.Server, addr string) int {
	n := 0
	for _, m := range srv.Messages() {
		if m.To[0] == addr && strings.Contains(m.From, "-bounces+") {
			n++
		}
	}
	return n
}

func (e *leaveEnv) checkNobodyWhoLeftGotIt(t *testing.T) {
	for i, way := range leaveWays {
		if n := issuesTo(e.srv, leaver(i)); n != 0 {
			t.Errorf("%s left by %s and still received %d issue(s)", leaver(i), way, n)
		}
	}
	if n := issuesTo(e.srv, "reader0000@example.org"); n != 1 {
		t.Errorf("a reader who stayed got %d copies", n)
	}
	status := e.mustRun("status", "issue-06")
	if !strings.Contains(status, fmt.Sprintf("%d skipped", len(leaveWays))) {
		t.Errorf("status does not show the skipped readers:\n%s", status)
	}
}

// TestNobodyWhoLeavesDuringASendGetsIt: the send runs at 2 messages a
// second; each reader leaves a different way before the send reaches them
// (the leavers come after 20 others: 10 s for nine ways of leaving, even on
// a loaded machine, where 5 a second once let the send overtake one).
func TestNobodyWhoLeavesDuringASendGetsIt(t *testing.T) {
	e := newLeaveEnv(t)
	tokens := e.tokens(t)
	done := make(chan string, 1)
	go func() {
		out, errOut, _ := e.run("send", "issue-06", "--yes", "--rate", "2", "--concurrency", "1")
		done <- out + errOut
	}()
	for deadline := time.Now().Add(10 * time.Second); issuesTo(e.srv, "alice@example.org")+issuesTo(e.srv, "reader0000@example.org") == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the send did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i, way := range leaveWays {
		e.leave(t, way, leaver(i), tokens)
	}
	out := <-done
	if !strings.Contains(out, fmt.Sprintf("%d skipped (left the list)", len(leaveWays))) {
		t.Errorf("the send's summary does not count the skipped readers:\n%s", out)
	}
	e.checkNobodyWhoLeftGotIt(t)
}

// TestNobodyWhoLeavesBetweenAKillAndTheResumeGetsIt: the real binary is
// killed with SIGKILL mid-send; the readers leave; the resumed send skips them.
func TestNobodyWhoLeavesBetweenAKillAndTheResumeGetsIt(t *testing.T) {
	bin := mailerBinary(t)
	e := newLeaveEnv(t)
	tokens := e.tokens(t)
	env := envList(e.env)
	cmd := exec.Command(bin, "send", "issue-06", "--yes", "--rate", "10", "--concurrency", "1")
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(e.srv.Messages()) < 3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(e.srv.Messages()) >= 20 {
		t.Fatal("the send got too far before the kill")
	}
	for i, way := range leaveWays {
		e.leave(t, way, leaver(i), tokens)
	}
	resume := exec.Command(bin, "send", "issue-06", "--yes")
	resume.Env = env
	var out bytes.Buffer
	resume.Stdout, resume.Stderr = &out, &out
	if err := resume.Run(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out.String())
	}
	e.checkNobodyWhoLeftGotIt(t)
}

// TestNobodyWhoLeavesWhileDeferredGetsTheRetry: the server defers the
// leavers' messages (451); they leave while waiting; the retry skips them.
// The real binary runs the send, on the real clock.
func TestNobodyWhoLeavesWhileDeferredGetsTheRetry(t *testing.T) {
	bin := mailerBinary(t)
	e := newLeaveEnv(t)
	tokens := e.tokens(t)
	for i := range leaveWays {
		e.srv.Fail(leaver(i), smtptest.Fault{Stage: "RCPT", Code: 451, Times: 1})
	}
	env := envList(e.env)
	// The retry waits long enough for nine ways of leaving on a loaded
	// machine (at 3 s the last two were once still members at the retry).
	env = append(env, "MAILER_SEND_RETRY=8s")
	cmd := exec.Command(bin, "send", "issue-06", "--yes", "--concurrency", "2")
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Everyone else is served at once (reader0030, the last, too); the
	// leavers wait for their retry.
	for deadline := time.Now().Add(10 * time.Second); issuesTo(e.srv, "reader0030@example.org") == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the first pass did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i, way := range leaveWays {
		e.leave(t, way, leaver(i), tokens)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
	t.Log(out.String())
	e.checkNobodyWhoLeftGotIt(t)
}

func envList(m map[string]string) []string {
	env := []string{"PATH=/usr/bin:/bin"}
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	return env
}

// consoleLogin sets the list owner's password with `owners password` and
// logs in to the console of the running serve. The cookie is Secure (the
// test's base_url is https), so it is sent by hand over the loopback's
// plain HTTP rather than by a cookie jar.
func (e *leaveEnv) consoleLogin(t *testing.T) *http.Cookie {
	const owner, password = "owner@example.org", "correct horse battery"
	e.mustRun("lists", "edit", "bpf-updates", "--owner", owner)
	if _, errOut, code := e.runIn(password+"\n", "owners", "password", owner, "--password-stdin"); code != 0 {
		t.Fatalf("owners password: %d %s", code, errOut)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm("http://"+e.admin+"/login", url.Values{"email": {owner}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "mailer_session" && resp.StatusCode == http.StatusSeeOther {
			return ck
		}
	}
	t.Fatalf("console login: %d, cookies %v", resp.StatusCode, resp.Cookies())
	return nil
}

// consoleCSRF reads the CSRF token of the session from a console page.
func (e *leaveEnv) consoleCSRF(t *testing.T, page string) string {
	req, _ := http.NewRequest(http.MethodGet, "http://"+e.admin+page, nil)
	req.AddCookie(e.console)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	m := csrfField.FindStringSubmatch(b.String())
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("console %s: %d, no CSRF field", page, resp.StatusCode)
	}
	return m[1]
}

// mustDo runs an owner's request and wants it to succeed (2xx; the
// console's redirect after a change is followed to its page, the cookie
// with it).
func (e *leaveEnv) mustDo(t *testing.T, way string, req *http.Request) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s %s: %d", way, req.Method, req.URL.Path, resp.StatusCode)
	}
}
