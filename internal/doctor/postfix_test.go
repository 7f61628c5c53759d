package doctor_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mailer/internal/app"
	"mailer/internal/doctor"
)

// postfixConf is a Postfix config directory holding main.cf, for the real
// postconf (postconf -c DIR).
func postfixConf(t *testing.T, mainCF string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"main.cf": mainCF, "master.cf": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runPostfix makes every check with the real postconf reading dir.
func (s *site) runPostfix(t *testing.T, dir string) []doctor.Check {
	t.Helper()
	pc := doctor.PostconfCommand(dir)
	if pc == nil {
		t.Fatal("postconf is not installed (Debian's postfix package; .ci/deps installs it)")
	}
	in := app.DoctorInput(s.cfg)
	addr := serve(t, s.zone()).Addr
	in.Resolver, in.NameServer, in.Postconf = doctor.NameServer(addr), addr, pc
	in.SendingIPs = []net.IP{sendingIP}
	return doctor.Run(context.Background(), in)
}

// TestPostfixMydestination: list_host among Postfix's mydestination (as
// written, or reached through $myhostname, in another case) is a WARN
// with the fix; elsewhere, or alongside it in relay_domains as the
// README's recipe has it, the check is OK; a config postconf cannot read
// is a WARN that says why.
func TestPostfixMydestination(t *testing.T) {
	s := newSite(t)
	for _, c := range []struct {
		name, mainCF, level, msg string
	}{
		{"listed", "mydestination = localhost, Lists.News.Example.com\n", doctor.Warn,
			"list_host lists.news.example.com is in Postfix's mydestination (localhost, Lists.News.Example.com)"},
		{"through $myhostname", "myhostname = lists.news.example.com\nmydestination = $myhostname localhost\n", doctor.Warn,
			"list_host lists.news.example.com is in Postfix's mydestination (lists.news.example.com localhost)"},
		{"relay_domains as the recipe", "myhostname = mx.news.example.com\nmydestination = $myhostname, localhost\nrelay_domains = $mydestination lists.news.example.com\n",
			doctor.OK, "list_host lists.news.example.com is not in Postfix's mydestination"},
		{"a subdomain is another domain", "mydestination = news.example.com, x.lists.news.example.com\n", doctor.OK, "is not in Postfix's mydestination"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := named(s.runPostfix(t, postfixConf(t, c.mainCF)), "postfix")
			if len(got) != 1 || got[0].Level != c.level || !strings.Contains(got[0].Message, c.msg) {
				t.Fatalf("%+v, want one %s with %q", got, c.level, c.msg)
			}
			if c.level == doctor.Warn && !strings.Contains(got[0].Message, "fix: remove lists.news.example.com from mydestination in main.cf, keep it in relay_domains") {
				t.Errorf("the warning lacks the fix: %q", got[0].Message)
			}
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		got := named(s.runPostfix(t, filepath.Join(t.TempDir(), "none")), "postfix")
		if len(got) != 1 || got[0].Level != doctor.Warn || !strings.Contains(got[0].Message, "could not read Postfix's mydestination") ||
			!strings.Contains(got[0].Message, "main.cf: No such file or directory") {
			t.Fatalf("%+v, want a WARN saying main.cf is missing", got)
		}
	})
	t.Run("no Postfix", func(t *testing.T) {
		if got := named(s.run(t, serve(t, s.zone()).Addr), "postfix"); len(got) != 0 {
			t.Fatalf("checked with no postconf: %+v", got)
		}
	})
}
