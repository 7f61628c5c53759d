package cli

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mailer/internal/dnstest"
	"mailer/internal/doctor"
	"mailer/internal/smtptest"
)

// doctorEnv is a sender set up as the README says: DKIM key, https base
// URL, a list whose From is on the DKIM domain, an SMTP relay; and the DNS
// records its doctor should find.
type doctorEnv struct {
	*testEnv
	record string // the DKIM record keygen printed
}

func newDoctorEnv(t *testing.T) *doctorEnv {
	e := newTestEnv(t)
	srv := smtptest.Start(t)
	keygen := e.mustRun("dkim", "keygen", "--selector", "s1", "--domain", "news.example.com", "-o", filepath.Join(e.dir, "dkim.key"))
	kf := regexp.MustCompile(`key_file = "([^"]+)"`).FindStringSubmatch(keygen)
	rec := regexp.MustCompile(`IN TXT ((?:"[^"]*" ?)+)`).FindStringSubmatch(keygen)
	if kf == nil || kf[1] != "dkim.key" || rec == nil {
		t.Fatalf("keygen output (key_file must be relative to the config's directory):\n%s", keygen)
	}
	for _, part := range regexp.MustCompile(`"[^"]*"`).FindAllString(rec[1], -1) {
		if len(part)-2 > 255 {
			t.Fatalf("a TXT string of %d characters: zone files take 255", len(part)-2)
		}
	}
	for k, v := range map[string]string{"MAILER_BASE_URL": "https://lists.news.example.com", "MAILER_LIST_HOST": "lists.news.example.com",
		"MAILER_DKIM_DOMAIN": "news.example.com", "MAILER_DKIM_SELECTOR": "s1", "MAILER_DKIM_KEY_FILE": kf[1],
		"MAILER_OWNER": "editor@news.example.com", "MAILER_TRANSPORT": "smtp", "MAILER_SMTP_HOST": srv.Host,
		"MAILER_SMTP_PORT": strconv.Itoa(srv.Port), "MAILER_SMTP_TLS": "none"} {
		e.env[k] = v
	}
	e.mustRun("lists", "create", "weekly", "--from", "Editor <editor@news.example.com>")
	return &doctorEnv{testEnv: e, record: rec[1]}
}

// goodZone is every record a careful owner publishes for 192.0.2.10.
func (e *doctorEnv) goodZone() map[string]string {
	return map[string]string{
		"mx":    "lists.news.example.com. 300 IN MX 10 mx.news.example.com.",
		"a":     "mx.news.example.com. 300 IN A 192.0.2.10",
		"spf":   `lists.news.example.com. 300 IN TXT "v=spf1 ip4:192.0.2.10 -all"`,
		"dkim":  "s1._domainkey.news.example.com. 300 IN TXT " + e.record,
		"dmarc": `_dmarc.news.example.com. 300 IN TXT "v=DMARC1; p=none; rua=mailto:editor@news.example.com"`,
		"ptr":   "10.2.0.192.in-addr.arpa. 300 IN PTR mx.news.example.com.",
	}
}

func (e *doctorEnv) doctor(t *testing.T, zone map[string]string, args ...string) (string, int) {
	var rrs []string
	for _, r := range zone {
		rrs = append(rrs, r)
	}
	dns := dnstest.Start(t, rrs...)
	out, errOut, code := e.run(append([]string{"doctor", "--resolver", dns.Addr, "--sending-ip", "192.0.2.10"}, args...)...)
	return out + errOut, code
}

// TestDoctorAllGood: with every record right, every check is OK, with
// what it found, and the exit is 0.
func TestDoctorAllGood(t *testing.T) {
	e := newDoctorEnv(t)
	out, code := e.doctor(t, e.goodZone())
	for _, want := range []string{"OK   MX of lists.news.example.com: mx.news.example.com", "OK   SPF of lists.news.example.com permits 192.0.2.10",
		"OK   DKIM record s1._domainkey.news.example.com matches the key", "OK   DMARC of news.example.com",
		"OK   192.0.2.10 is mx.news.example.com, which resolves back to it", "OK   SMTP relay 127.0.0.1:", "answered EHLO"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q", want)
		}
	}
	if code != 0 || strings.Contains(out, "FIX") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestDoctorFindsEachProblem breaks one thing at a time: each is a FIX with
// the record to publish, and the exit is 1.
func TestDoctorFindsEachProblem(t *testing.T) {
	e := newDoctorEnv(t)
	for _, c := range []struct {
		name, drop, add string
		want            []string
	}{
		{"no MX", "mx", "", []string{"FIX  lists.news.example.com has no MX", "publish: lists.news.example.com. IN MX 10"}},
		{"no SPF", "spf", "", []string{"FIX  lists.news.example.com has no SPF record", `publish: lists.news.example.com. IN TXT "v=spf1 mx ip4:192.0.2.10 ~all"`}},
		{"SPF without us", "spf", `lists.news.example.com. 300 IN TXT "v=spf1 ip4:198.51.100.1 -all"`,
			[]string{"does not permit 192.0.2.10 (fail", `publish: lists.news.example.com. IN TXT "v=spf1 mx ip4:192.0.2.10 ~all"`}},
		{"no DKIM record", "dkim", "", []string{"FIX  no DKIM record at s1._domainkey.news.example.com", "publish: s1._domainkey.news.example.com. IN TXT \"v=DKIM1;"}},
		{"another DKIM key", "dkim", `s1._domainkey.news.example.com. 300 IN TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx"`,
			[]string{"holds another key than the configured one"}},
		{"no DMARC", "dmarc", "", []string{"FIX  news.example.com publishes no DMARC record", `publish: _dmarc.news.example.com. IN TXT "v=DMARC1; p=none; rua=mailto:editor@news.example.com"`}},
		{"no PTR", "ptr", "", []string{"FIX  192.0.2.10 has no PTR name that resolves back to it", "publish: 10.2.0.192.in-addr.arpa. IN PTR"}},
		{"PTR to a name elsewhere", "ptr", "10.2.0.192.in-addr.arpa. 300 IN PTR host.other.example.", []string{"has no PTR name that resolves back to it"}},
	} {
		zone := e.goodZone()
		delete(zone, c.drop)
		if c.add != "" {
			zone["x"] = c.add
		}
		out, code := e.doctor(t, zone)
		if code != ExitError || strings.Count(out, "FIX") != 1 {
			t.Errorf("%s: exit %d, want 1 and one FIX:\n%s", c.name, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: lacks %q:\n%s", c.name, w, out)
			}
		}
	}
	// The relay: nothing listens (it was called OK before).
	e.env["MAILER_SMTP_PORT"] = strconv.Itoa(freePort(t))
	out, code := e.doctor(t, e.goodZone())
	if code != ExitError || !strings.Contains(out, "FIX  SMTP relay") || !strings.Contains(out, "nothing listens") {
		t.Errorf("relay down: exit %d\n%s", code, out)
	}
}

func TestDoctorJSON(t *testing.T) {
	e := newDoctorEnv(t)
	zone := e.goodZone()
	delete(zone, "dmarc")
	out, code := e.doctor(t, zone, "--json")
	var checks []doctor.Check
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "]")+1]), &checks); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	fixes := 0
	for _, c := range checks {
		if c.Level == doctor.Fix {
			fixes++
			if c.Name != "dmarc" || !strings.HasPrefix(c.Record, "_dmarc.news.example.com. IN TXT") {
				t.Errorf("fix %+v", c)
			}
		}
	}
	if code != ExitError || fixes != 1 || len(checks) < 10 {
		t.Fatalf("exit %d, %d fixes in %d checks", code, fixes, len(checks))
	}
}

// TestDoctorFreshConfig: the config mailer init writes needs fixing.
func TestDoctorFreshConfig(t *testing.T) {
	e := newTestEnv(t)
	dns := dnstest.Start(t)
	out, _, code := e.run("doctor", "--resolver", dns.Addr)
	if code != ExitError || !strings.Contains(out, "FIX  base_url") || !strings.Contains(out, "FIX  DKIM is off") {
		t.Fatalf("fresh config: exit %d\n%s", code, out)
	}
}

// TestDoctorRelayWithTLSAndAuth: the relay check really does STARTTLS and
// AUTH as configured (the real binary, trusting the test certificate), and
// a refused login is a FIX that says so.
func TestDoctorRelayWithTLSAndAuth(t *testing.T) {
	bin := mailerBinary(t)
	e := newDoctorEnv(t)
	srv := smtptest.Start(t)
	srv.EnableTLS(t)
	srv.Username, srv.Password = "editor", "right"
	cert := e.write("relay.pem", string(srv.CertPEM))
	dns := dnstest.Start(t, func() (rr []string) {
		for _, r := range e.goodZone() {
			rr = append(rr, r)
		}
		return
	}()...)
	for _, c := range []struct {
		password, want string
		code           int
	}{
		{"right", "OK   SMTP relay 127.0.0.1:" + strconv.Itoa(srv.Port) + ": answered EHLO, STARTTLS, AUTH as editor", 0},
		{"wrong", "refused the login", 1},
	} {
		env := []string{"SSL_CERT_FILE=" + cert, "MAILER_SMTP_PORT=" + strconv.Itoa(srv.Port), "MAILER_SMTP_TLS=starttls",
			"MAILER_SMTP_USERNAME=editor", "MAILER_SMTP_PASSWORD=" + c.password}
		for k, v := range e.env {
			if k != "MAILER_SMTP_PORT" && k != "MAILER_SMTP_TLS" {
				env = append(env, k+"="+v)
			}
		}
		cmd := exec.Command(bin, "doctor", "--resolver", dns.Addr, "--sending-ip", "192.0.2.10")
		cmd.Env, cmd.Dir = env, e.dir
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), c.want) || cmd.ProcessState.ExitCode() != c.code {
			t.Errorf("password %s: exit %d\n%s", c.password, cmd.ProcessState.ExitCode(), out)
		}
	}
}

// TestDoctorChecksBothDualKeys: with a second key (dual signing) each
// record is checked: both published is OK twice; the second one missing is
// a FIX that prints its record, while the first stays OK.
func TestDoctorChecksBothDualKeys(t *testing.T) {
	e := newDoctorEnv(t)
	keygen := e.mustRun("dkim", "keygen", "--selector", "ed1", "--domain", "news.example.com", "--algorithm", "ed25519",
		"-o", filepath.Join(e.dir, "dkim-ed.key"))
	rec := regexp.MustCompile(`IN TXT ((?:"[^"]*" ?)+)`).FindStringSubmatch(keygen)
	if rec == nil {
		t.Fatalf("keygen output:\n%s", keygen)
	}
	e.env["MAILER_DKIM_DUAL_SELECTOR"], e.env["MAILER_DKIM_DUAL_KEY_FILE"] = "ed1", "dkim-ed.key"
	zone := e.goodZone()
	zone["dkim2"] = "ed1._domainkey.news.example.com. 300 IN TXT " + rec[1]
	out, code := e.doctor(t, zone)
	for _, want := range []string{"OK   DKIM record s1._domainkey.news.example.com matches the key",
		"OK   DKIM record ed1._domainkey.news.example.com matches the key"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	delete(zone, "dkim2")
	out, code = e.doctor(t, zone)
	if code != ExitError || strings.Count(out, "FIX") != 1 || !strings.Contains(out, "FIX  no DKIM record at ed1._domainkey.news.example.com") ||
		!strings.Contains(out, `publish: ed1._domainkey.news.example.com. IN TXT "v=DKIM1; k=ed25519; p=`) ||
		!strings.Contains(out, "OK   DKIM record s1._domainkey.news.example.com matches the key") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// A dual key without its selector is refused by the configuration.
	e.env["MAILER_DKIM_DUAL_SELECTOR"] = ""
	if _, errOut, code := e.run("doctor", "--resolver", "127.0.0.1:1"); code == 0 || !strings.Contains(errOut, "dkim.dual_selector") {
		t.Fatalf("a dual key without a selector: exit %d %s", code, errOut)
	}
}
