package doctor_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mailer/internal/doctor"
	"mailer/internal/store"
)

// TestConfigChecks changes one setting of the good site at a time: the
// check it concerns has the level and advice the code gives, with the DNS
// all right.
func TestConfigChecks(t *testing.T) {
	for _, c := range []struct {
		name       string
		change     func(t *testing.T, s *site)
		check      string
		level, msg string
	}{
		{"no secret", func(_ *testing.T, s *site) { s.cfg.Secret = "" }, "secret", doctor.Fix, "secret is not set"},
		{"short secret", func(_ *testing.T, s *site) { s.cfg.Secret = "0123456789" }, "secret", doctor.Fix, "secret is 10 characters: use at least 32"},
		{"http base URL", func(_ *testing.T, s *site) { s.cfg.BaseURL = "http://lists.news.example.com" }, "base_url", doctor.Fix, "RFC 8058"},
		{"example list host", func(_ *testing.T, s *site) { s.cfg.ListHost = "lists.example.org" }, "list_host", doctor.Fix, "still the example"},
		{"no owner", func(_ *testing.T, s *site) { s.cfg.Owner = "" }, "owner", doctor.Warn, "postmaster@lists.news.example.com"},
		{"DKIM off", func(_ *testing.T, s *site) { s.cfg.DKIM.KeyFile = "" }, "dkim", doctor.Fix, "mailer dkim keygen"},
		{"DKIM key missing", func(_ *testing.T, s *site) { s.cfg.DKIM.KeyFile = "gone.key" }, "dkim", doctor.Fix, "DKIM key: "},
		{"list without From", func(t *testing.T, s *site) { s.addList(t, "bare", "") }, "from", doctor.Fix,
			`list bare has no From address: mailer lists edit bare --from "Name <address>"`},
		// DMARC's relaxed alignment (RFC 7489 section 3.1.1) fails.
		{"From off the DKIM domain", func(t *testing.T, s *site) { s.addList(t, "other", "x@other.example") }, "from", doctor.Fix,
			"From x@other.example is not on the DKIM domain news.example.com, so DMARC fails"},
		{"list templates that do not parse", brokenTemplates, "templates", doctor.Fix, "--templates \"\" for the global look"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSite(t)
			c.change(t, s)
			cs := s.run(t, serve(t, s.zone()).Addr)
			for _, got := range named(cs, c.check) {
				if got.Level == c.level && strings.Contains(got.Message, c.msg) {
					return
				}
			}
			t.Fatalf("no %s %s with %q in %+v", c.level, c.check, c.msg, notOK(cs))
		})
	}
}

func brokenTemplates(t *testing.T, s *site) {
	dir := filepath.Join(t.TempDir(), "look")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "welcome.txt"), []byte("{{ if }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	from := "Editor <editor@news.example.com>"
	if _, err := s.db.CreateList(context.Background(), "looks", store.ListSettings{From: &from, TemplatesDir: &dir}); err != nil {
		t.Fatal(err)
	}
}

// TestNoDKIMNoDKIMRecords: without a signer nothing is looked up for DKIM,
// and a From domain misaligned with the DKIM domain fails DMARC too.
func TestNoDKIMNoDKIMRecords(t *testing.T) {
	s := newSite(t)
	s.cfg.DKIM.KeyFile = ""
	if c := named(s.run(t, serve(t, s.zone()).Addr), "dkim-dns"); len(c) != 0 {
		t.Errorf("DKIM records checked with DKIM off: %+v", c)
	}
	s = newSite(t)
	s.cfg.DKIM.Domain = "other.example"
	cs := s.run(t, serve(t, s.zone()).Addr)
	if c := named(cs, "dmarc"); len(c) != 1 || c[0].Level != doctor.Fix || !strings.Contains(c[0].Message, "DKIM signs as other.example, which does not align") {
		t.Errorf("misaligned DKIM: %+v", c)
	}
}
