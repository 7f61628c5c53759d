package cli

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// postfix is a private Postfix instance, started from a temporary
// configuration directory with Debian's postfix package, as the README's
// recipe configures it for the list domain.
type postfix struct {
	dir  string
	port int // smtpd on 127.0.0.1
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startPostfix writes main.cf and master.cf (the README's lines for the
// list domain in mainExtra, masterExtra and transport), starts the
// instance and stops it when the test ends. Postfix's master must start as
// root: without root this fails, loudly.
func startPostfix(t *testing.T, mainExtra, masterExtra, transport string) *postfix {
	t.Helper()
	p := &postfix{dir: postfixDir(t), port: freePort(t)}
	master := fmt.Sprintf("127.0.0.1:%d inet n - n - - smtpd\n", p.port) + masterServices + masterExtra
	for name, text := range map[string]string{"main.cf": fmt.Sprintf(mainCF, p.dir, mainExtra), "master.cf": master, "transport": transport} {
		if err := os.WriteFile(filepath.Join(p.dir, "conf", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.start(t)
	return p
}

// postfixDir makes the instance's directory (conf, queue, and data owned
// by postfix), after checking that Postfix can run here.
func postfixDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the Postfix hook-up test starts a real Postfix, whose master must run as root: run the tests as root (CI does)")
	}
	if _, err := os.Stat("/usr/lib/postfix/sbin/master"); err != nil {
		t.Fatalf("Debian's postfix package is missing (.ci/deps installs it): %v", err)
	}
	dir, err := os.MkdirTemp("", "postfix-test")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	for _, d := range []string{"conf", "queue", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("chown", "postfix", filepath.Join(dir, "data")).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	return dir
}

// start starts the configured instance, stops it (logging Postfix's log
// if the test failed) and removes its directory when the test ends, and
// waits until smtpd listens.
func (p *postfix) start(t *testing.T) {
	t.Helper()
	conf := filepath.Join(p.dir, "conf")
	t.Cleanup(func() {
		exec.Command("postfix", "-c", conf, "stop").Run()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(p.dir, "maillog"))
			t.Logf("Postfix's log:\n%s", log)
		}
		os.RemoveAll(p.dir)
	})
	if out, err := exec.Command("postfix", "-c", conf, "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "maillog"))
		t.Fatalf("postfix start: %v %s\n%s", err, out, log)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(p.port)); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Postfix did not listen")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mainCF is the instance's main.cf: %[1]s is its directory, %[2]s the
// README's extra lines for the list domain.
const mainCF = `compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test.example
mydomain = test.example
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
smtp_dns_support_level = disabled
# --- the README's lines for the list domain ---
relay_domains = lists.example.org
transport_maps = texthash:%[1]s/conf/transport
%[2]s
`

// The standard services of Debian's master.cf that delivery needs.
const masterServices = `pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
`

func (p *postfix) log() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "maillog"))
	return string(b)
}

// swaks sends a subscribe request through the instance, as a reader's mail
// server would.
func (p *postfix) swaks(t *testing.T, from, to, body string) {
	t.Helper()
	out, err := exec.Command("swaks", "--server", "127.0.0.1:"+strconv.Itoa(p.port), "--from", from, "--to", to,
		"--header", "Subject: join", "--body", body).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "250 2.0.0 Ok: queued") {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
}

// makeWorldReachable lets the pipe's user reach the mailer directory: the
// test's temporary directories are root's, 0700.
func makeWorldReachable(t *testing.T, dir, user string) {
	for d := filepath.Dir(dir); d != "/" && d != "." && strings.HasPrefix(d, os.TempDir()); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	if out, err := exec.Command("chown", "-R", user, dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
}

// configForDaemon writes the test's environment overrides into mailer.toml:
// the MTA runs mailer with a clean environment, as in production.
func configForDaemon(t *testing.T, e *testEnv, smtpPort int) {
	path := filepath.Join(e.dir, "mailer.toml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer(`transport = "maildir:maildir"`, `transport = "smtp"`, `host = "localhost"`, `host = "127.0.0.1"`,
		"port = 587", "port = "+strconv.Itoa(smtpPort), `tls = "starttls"`, `tls = "none"`).Replace(string(b))
	if !strings.Contains(s, `transport = "smtp"`) || !strings.Contains(s, "port = "+strconv.Itoa(smtpPort)) {
		t.Fatalf("mailer.toml did not take the SMTP settings:\n%s", s)
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls until cond holds or fails the test with what it knows.
func waitFor(t *testing.T, what string, p *postfix, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 30 s; Postfix's log:\n%s", what, p.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPostfixPipeRecipe: the README's pipe recipe (a transport in
// master.cf running mailer as its own unprivileged user, the list domain
// routed to it) carries a reader's subscribe mail from Postfix to `mailer
// receive`, and the confirmation comes out.
func TestPostfixPipeRecipe(t *testing.T) {
	bin := mailerBinary(t)
	e, srv, _ := newInboundEnv(t)
	configForDaemon(t, e, srv.Port)
	// The binary where the pipe's user can run it, as /usr/local/bin would be.
	binDir, err := os.MkdirTemp("", "mailer-bin-pub")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	os.Chmod(binDir, 0o755)
	data, _ := os.ReadFile(bin)
	pubBin := filepath.Join(binDir, "mailer")
	os.WriteFile(pubBin, data, 0o755)
	makeWorldReachable(t, e.dir, "nobody") // the recipe's "mailer" user; nobody stands in for it here
	cfg := filepath.Join(e.dir, "mailer.toml")
	p := startPostfix(t, "recipient_delimiter = +\nmailer_destination_recipient_limit = 1",
		"mailer    unix  -       n       n       -       -       pipe\n"+
			"  flags=R user=nobody argv="+pubBin+" --config "+cfg+" receive --recipient ${original_recipient} --sender ${sender}\n",
		"lists.example.org mailer:\n")
	p.swaks(t, "zoe@example.com", "majordomo@lists.example.org", "subscribe bpf-updates")
	waitFor(t, "the confirmation", p, func() bool { return srv.ByRecipient()["zoe@example.com"] >= 1 })
	// The confirmation goes out while `mailer receive` runs; Postfix logs
	// the delivery once the pipe command has exited, a moment later.
	waitFor(t, "Postfix's log of the delivery", p, func() bool { return strings.Contains(p.log(), "status=") })
	if !strings.Contains(p.log(), "relay=mailer") || !strings.Contains(p.log(), "status=sent (delivered via mailer service") {
		t.Fatalf("not delivered through the pipe transport:\n%s", p.log())
	}
	if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "pending"); !strings.Contains(out, "zoe@example.com") {
		t.Fatalf("not pending:\n%s", out)
	}
	// The confirmation's Reply-To (LIST-confirm+CODE@) goes back through
	// Postfix: recipient_delimiter keeps the code.
	var replyTo string
	for _, m := range srv.Messages() {
		if h, _ := decodedBody(t, m.Data); confirmReplyTo.MatchString(h.Get("Reply-To")) {
			replyTo = h.Get("Reply-To")
		}
	}
	p.swaks(t, "zoe@example.com", replyTo, "yes")
	waitFor(t, "the subscription", p, func() bool {
		out, _, _ := e.run("subscribers", "ls", "bpf-updates", "--status", "active")
		return strings.Contains(out, "zoe@example.com")
	})
	// A post to the announce-only list is refused with our reason.
	p.swaks(t, "zoe@example.com", "bpf-updates@lists.example.org", "hello all")
	waitFor(t, "the refusal", p, func() bool { return strings.Contains(p.log(), "status=bounced") })
	if !strings.Contains(p.log(), "announce-only") {
		t.Fatalf("the bounce does not carry our reason:\n%s", p.log())
	}
}

// TestPostfixLMTPRecipe: the README's LMTP recipe (the list domain routed
// to `mailer serve` over LMTP) does the same.
func TestPostfixLMTPRecipe(t *testing.T) {
	e, srv, _ := newInboundEnv(t)
	lmtpAddr, _ := startServe(t, e)
	p := startPostfix(t, "recipient_delimiter = +", "", "lists.example.org lmtp:inet:"+lmtpAddr+"\n")
	p.swaks(t, "zoe@example.com", "bpf-updates-request@lists.example.org", "subscribe")
	waitFor(t, "the confirmation", p, func() bool { return srv.ByRecipient()["zoe@example.com"] >= 1 })
	// As for the pipe: the confirmation may go out before Postfix logs the
	// LMTP delivery.
	waitFor(t, "Postfix's log of the delivery", p, func() bool { return strings.Contains(p.log(), "status=") })
	host, port, _ := net.SplitHostPort(lmtpAddr)
	if !strings.Contains(p.log(), "relay="+host+"["+host+"]:"+port) || !strings.Contains(p.log(), "status=sent") {
		t.Fatalf("not delivered over LMTP:\n%s", p.log())
	}
	if out := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "pending"); !strings.Contains(out, "zoe@example.com") {
		t.Fatalf("not pending:\n%s", out)
	}
	p.swaks(t, "zoe@example.com", "nobody-here@lists.example.org", "hello")
	waitFor(t, "the refusal of an unknown address", p, func() bool { return strings.Contains(p.log(), "status=bounced") })
}

// TestSendThroughPostfix: an issue sent through a real Postfix smtpd, which
// offers PIPELINING and CHUNKING, so mailer pipelines BDAT transactions,
// each announced behind the end of the last. Postfix relays every copy to
// the readers' server: each reader gets one, DKIM-signed, and the
// signature still verifies there; Postfix's own count of the session's
// commands shows BDAT was used and no improper pipelining was seen.
func TestSendThroughPostfix(t *testing.T) {
	const members = 40
	e, srv := newSendEnv(t, members-1)
	p := startPostfix(t, "relay_domains = lists.example.org, example.org", "",
		fmt.Sprintf("example.org smtp:[%s]:%d\n", srv.Host, srv.Port))
	e.env["MAILER_SMTP_HOST"], e.env["MAILER_SMTP_PORT"] = "127.0.0.1", strconv.Itoa(p.port)
	out := e.mustRun("dkim", "keygen", "--selector", "ed", "--domain", "example.org", "--algorithm", "ed25519")
	rec := regexp.MustCompile(`IN TXT "([^"]+)"`).FindStringSubmatch(out)
	kf := regexp.MustCompile(`key_file = "([^"]+)"`).FindStringSubmatch(out)
	e.env["MAILER_DKIM_DOMAIN"], e.env["MAILER_DKIM_SELECTOR"], e.env["MAILER_DKIM_KEY_FILE"] = "example.org", "ed", kf[1]
	e.mustRun("send", "issue-06", "--yes", "--concurrency", "3")
	waitFor(t, "every copy relayed", p, func() bool { return len(srv.Messages()) >= members })
	got := srv.ByRecipient()
	for i := range members - 1 {
		if n := got[fmt.Sprintf("reader%04d@example.org", i)]; n != 1 {
			t.Fatalf("reader%04d got %d copies", i, n)
		}
	}
	if len(srv.Messages()) != members {
		t.Fatalf("%d messages relayed for %d members", len(srv.Messages()), members)
	}
	for _, m := range srv.Messages() {
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(m.Data), &dkim.VerifyOptions{LookupTXT: func(string) ([]string, error) {
			return []string{rec[1]}, nil
		}})
		if err != nil || len(vs) != 1 || vs[0].Err != nil {
			t.Fatalf("copy to %v after Postfix: %v %+v", m.To, err, vs)
		}
	}
	bdat := regexp.MustCompile(`bdat=(\d+)`).FindAllStringSubmatch(p.log(), -1)
	total := 0
	for _, m := range bdat {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	if total < members || strings.Contains(p.log(), "improper command pipelining") {
		t.Fatalf("Postfix counted %d BDAT commands for %d messages:\n%s", total, members, p.log())
	}
	for _, l := range strings.Split(p.log(), "\n") {
		if strings.Contains(l, "smtpd") && strings.Contains(l, "disconnect from") {
			t.Log(l[strings.Index(l, "disconnect"):])
		}
	}
}
