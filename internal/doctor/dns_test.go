package doctor_test

import (
	"strings"
	"testing"

	"mailer/internal/doctor"
)

// TestAllRecordsRight: with every record published and right, every check
// is OK, the DNS ones included, and nothing needs fixing.
func TestAllRecordsRight(t *testing.T) {
	s := newSite(t)
	cs := s.run(t, serve(t, s.zone()).Addr)
	if bad := notOK(cs); len(bad) != 0 || doctor.Fixes(cs) != 0 {
		t.Fatalf("not OK: %+v", bad)
	}
	for _, name := range []string{"secret", "base_url", "dkim", "from", "relay", "mx", "spf", "dkim-dns", "dmarc", "ptr"} {
		if len(named(cs, name)) != 1 {
			t.Errorf("%d %q checks in %+v", len(named(cs, name)), name, cs)
		}
	}
	for name, want := range map[string]string{
		"mx":       "MX of lists.news.example.com: mx.news.example.com",
		"spf":      "SPF of lists.news.example.com permits 192.0.2.10",
		"dkim-dns": "DKIM record s1._domainkey.news.example.com matches the key",
		"dmarc":    "DMARC of news.example.com at _dmarc.news.example.com",
		"ptr":      "192.0.2.10 is mx.news.example.com, which resolves back to it",
	} {
		if c := named(cs, name); len(c) != 1 || !strings.Contains(c[0].Message, want) {
			t.Errorf("%s: %+v, want %q", name, c, want)
		}
	}
}

// recordCase changes the good zone: drop a record, add others; the one
// check named check then has level, its message says msg and the record
// it suggests holds record ("" for none).
type recordCase struct {
	name       string
	drop       string
	add        []string
	check      string
	level, msg string
	record     string
}

// TestEachRecordWrong breaks one record at a time: that check alone is
// not OK, with the advice the code gives.
func TestEachRecordWrong(t *testing.T) {
	s := newSite(t)
	suggestedSPF := `lists.news.example.com. IN TXT "v=spf1 mx ip4:192.0.2.10 ~all"`
	for _, c := range []recordCase{
		{name: "no MX", drop: "mx", check: "mx", level: doctor.Fix, msg: "lists.news.example.com has no MX",
			record: "lists.news.example.com. IN MX 10 <your mail server>."},
		{name: "no SPF", drop: "spf", check: "spf", level: doctor.Fix, msg: "lists.news.example.com has no SPF record", record: suggestedSPF},
		{name: "SPF without the relay", drop: "spf", add: []string{`lists.news.example.com. 300 IN TXT "v=spf1 ip4:198.51.100.1 -all"`},
			check: "spf", level: doctor.Fix, msg: "does not permit 192.0.2.10 (fail", record: suggestedSPF},
		// The relay's own SPF, included, names other addresses.
		{name: "SPF including another relay", drop: "spf", add: []string{
			`lists.news.example.com. 300 IN TXT "v=spf1 include:_spf.relay.example -all"`,
			`_spf.relay.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"`},
			check: "spf", level: doctor.Fix, msg: "does not permit 192.0.2.10 (fail", record: suggestedSPF},
		// RFC 7208 section 5.2: an include whose domain has no SPF record is a permerror.
		{name: "SPF including nothing", drop: "spf", add: []string{`lists.news.example.com. 300 IN TXT "v=spf1 include:_spf.gone.example -all"`},
			check: "spf", level: doctor.Fix, msg: "does not permit 192.0.2.10 (permerror", record: suggestedSPF},
		{name: "no DKIM record", drop: "dkim", check: "dkim-dns", level: doctor.Fix, msg: "no DKIM record at s1._domainkey.news.example.com",
			record: "s1._domainkey.news.example.com. IN TXT " + doctor.QuoteTXT(s.record)},
		{name: "another DKIM key", drop: "dkim", add: []string{`s1._domainkey.news.example.com. 300 IN TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx"`},
			check: "dkim-dns", level: doctor.Fix, msg: "holds another key than the configured one",
			record: "s1._domainkey.news.example.com. IN TXT " + doctor.QuoteTXT(s.record)},
		{name: "no DMARC", drop: "dmarc", check: "dmarc", level: doctor.Fix, msg: "news.example.com publishes no DMARC record",
			record: `_dmarc.news.example.com. IN TXT "v=DMARC1; p=none; rua=mailto:editor@news.example.com"`},
		{name: "DMARC name holds something else", drop: "dmarc", add: []string{`_dmarc.news.example.com. 300 IN TXT "v=spf1 -all"`},
			check: "dmarc", level: doctor.Fix, msg: "publishes no DMARC record", record: "_dmarc.news.example.com. IN TXT"},
		{name: "no PTR", drop: "ptr", check: "ptr", level: doctor.Fix, msg: "192.0.2.10 has no PTR name that resolves back to it",
			record: "10.2.0.192.in-addr.arpa. IN PTR <a name of yours that has an A/AAAA record 192.0.2.10>"},
		{name: "PTR to a name elsewhere", drop: "ptr", add: []string{"10.2.0.192.in-addr.arpa. 300 IN PTR host.other.example."},
			check: "ptr", level: doctor.Fix, msg: "no PTR name that resolves back to it (found [host.other.example.])", record: "10.2.0.192.in-addr.arpa. IN PTR"},
	} {
		t.Run(c.name, func(t *testing.T) { checkRecordCase(t, s, c) })
	}
}

func checkRecordCase(t *testing.T, s *site, c recordCase) {
	zone := s.zone()
	delete(zone, c.drop)
	for i, r := range c.add {
		zone["add"+string(rune('0'+i))] = r
	}
	cs := s.run(t, serve(t, zone).Addr)
	bad := notOK(cs)
	if len(bad) != 1 || bad[0].Name != c.check || bad[0].Level != c.level {
		t.Fatalf("want one %s %s, got %+v", c.level, c.check, bad)
	}
	if !strings.Contains(bad[0].Message, c.msg) {
		t.Errorf("message %q lacks %q", bad[0].Message, c.msg)
	}
	if c.record == "" && bad[0].Record != "" || !strings.HasPrefix(bad[0].Record, c.record) {
		t.Errorf("record %q, want %q", bad[0].Record, c.record)
	}
	if want := map[bool]int{true: 1, false: 0}[c.level == doctor.Fix]; doctor.Fixes(cs) != want {
		t.Errorf("Fixes = %d, want %d", doctor.Fixes(cs), want)
	}
}

// TestRecordsOtherwiseRight: records written differently from the good
// zone that receivers accept all the same are OK, saying what was found.
func TestRecordsOtherwiseRight(t *testing.T) {
	s := newSite(t)
	for _, c := range []recordCase{
		{name: "SPF including the relay's", drop: "spf", add: []string{
			`lists.news.example.com. 300 IN TXT "v=spf1 include:_spf.relay.example -all"`,
			`_spf.relay.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"`},
			check: "spf", msg: "SPF of lists.news.example.com permits 192.0.2.10"},
		{name: "SPF by the MX", drop: "spf", add: []string{`lists.news.example.com. 300 IN TXT "v=spf1 mx -all"`},
			check: "spf", msg: "permits 192.0.2.10"},
		// A DMARC record at the organizational domain covers its subdomains (RFC 7489 section 6.6.3).
		{name: "DMARC at the organizational domain", drop: "dmarc",
			add:   []string{`_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject"`},
			check: "dmarc", msg: `DMARC of news.example.com at _dmarc.example.com: "v=DMARC1; p=reject"`},
		// p=none monitors only, yet today it passes: the doctor itself
		// suggests starting with it (see the no-DMARC case).
		{name: "DMARC p=none", drop: "dmarc", add: []string{`_dmarc.news.example.com. 300 IN TXT "v=DMARC1; p=none"`},
			check: "dmarc", msg: `at _dmarc.news.example.com: "v=DMARC1; p=none"`},
		{name: "DKIM record in one long string", drop: "dkim",
			add:   []string{`s1._domainkey.news.example.com. 300 IN TXT "` + strings.ReplaceAll(s.record, " ", "") + `"`},
			check: "dkim-dns", msg: "matches the key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			zone := s.zone()
			delete(zone, c.drop)
			for i, r := range c.add {
				zone["add"+string(rune('0'+i))] = r
			}
			cs := s.run(t, serve(t, zone).Addr)
			got := named(cs, c.check)
			if bad := notOK(cs); len(bad) != 0 || len(got) != 1 || !strings.Contains(got[0].Message, c.msg) {
				t.Fatalf("%s: %+v (want %q); not OK: %+v", c.check, got, c.msg, bad)
			}
		})
	}
}

// TestQuoteTXT: zone files take strings of at most 255 characters.
func TestQuoteTXT(t *testing.T) {
	long := strings.Repeat("a", 255) + strings.Repeat("b", 10)
	for in, want := range map[string]string{
		"v=DKIM1; p=x":           `"v=DKIM1; p=x"`,
		strings.Repeat("a", 255): `"` + strings.Repeat("a", 255) + `"`,
		long:                     `"` + strings.Repeat("a", 255) + `" "bbbbbbbbbb"`,
	} {
		if got := doctor.QuoteTXT(in); got != want {
			t.Errorf("QuoteTXT(%.20q...) = %.40q..., want %.40q...", in, got, want)
		}
	}
}
