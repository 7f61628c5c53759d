package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDoctorResolverDown: mailer doctor --resolver at a port nobody
// answers on says each DNS check was not made because that server did not
// answer, publishes nothing, and does not exit 0 (nothing was seen).
func TestDoctorResolverDown(t *testing.T) {
	e := newDoctorEnv(t)
	out, errOut, code := e.run("doctor", "--resolver", "127.0.0.1:1", "--sending-ip", "192.0.2.10")
	if code != ExitTempFail || !strings.Contains(errOut, "5 check(s) not made: the name server did not answer") {
		t.Errorf("exit %d, stderr %q; want %d and the count of checks not made", code, errOut, ExitTempFail)
	}
	for _, want := range []string{
		"UNKNOWN MX of lists.news.example.com: not checked: the name server 127.0.0.1:1 did not answer",
		"UNKNOWN SPF of lists.news.example.com: not checked",
		"UNKNOWN DKIM record s1._domainkey.news.example.com: not checked",
		"UNKNOWN DMARC of news.example.com: not checked",
		"UNKNOWN PTR of 192.0.2.10: not checked",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FIX") || strings.Contains(out, "publish:") {
		t.Errorf("a record claimed missing with no answer:\n%s", out)
	}
}

// TestDoctorPostfixMydestination: with list_host in the mydestination of
// the Postfix config given (read by the real postconf), doctor warns and
// gives the fix; without it, it says so.
func TestDoctorPostfixMydestination(t *testing.T) {
	e := newDoctorEnv(t)
	dir := t.TempDir()
	mainCF := filepath.Join(dir, "main.cf")
	write := func(body string) {
		if err := os.WriteFile(mainCF, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("mydestination = localhost, lists.news.example.com\n")
	out, _ := e.doctor(t, e.goodZone(), "--postfix-config", dir)
	want := "WARN list_host lists.news.example.com is in Postfix's mydestination (localhost, lists.news.example.com)"
	if !strings.Contains(out, want) || !strings.Contains(out, "fix: remove lists.news.example.com from mydestination") {
		t.Errorf("lacks %q and the fix:\n%s", want, out)
	}
	write("mydestination = localhost\nrelay_domains = lists.news.example.com\n")
	if out, _ := e.doctor(t, e.goodZone(), "--postfix-config", dir); !strings.Contains(out, "OK   list_host lists.news.example.com is not in Postfix's mydestination") {
		t.Errorf("with the recipe's main.cf:\n%s", out)
	}
}
