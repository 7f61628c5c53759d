package doctor_test

import (
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"mailer/internal/doctor"
)

// TestResolverDown: when the name server does not answer (a closed port;
// port 1, where nothing listens), no check may claim a record is missing
// (a FIX that would have the owner publish what is already there), nor
// call it a failed lookup: each DNS check is UNKNOWN, saying the server
// did not answer and naming the one given, not the system's.
func TestResolverDown(t *testing.T) {
	s := newSite(t)
	for _, addr := range []string{deadPort(t), "127.0.0.1:1"} {
		cs := s.run(t, addr)
		if doctor.Fixes(cs) != 0 {
			t.Errorf("%s: fixes with no name server: %+v", addr, notOK(cs))
		}
		if n := doctor.Unknowns(cs); n != 5 {
			t.Errorf("%s: %d checks unknown, want the 5 DNS ones: %+v", addr, n, notOK(cs))
		}
		for _, name := range []string{"mx", "spf", "dkim-dns", "dmarc", "ptr"} {
			c := named(cs, name)
			if len(c) != 1 || c[0].Level != doctor.Unknown || c[0].Record != "" ||
				!strings.Contains(c[0].Message, "not checked: the name server "+addr+" did not answer") {
				t.Errorf("%s: %s: %+v, want one UNKNOWN: the name server %s did not answer", addr, name, c, addr)
			}
			if len(c) == 1 && (strings.Contains(c[0].Message, "no ") || strings.Contains(c[0].Message, " on ")) {
				t.Errorf("%s: %s claims a record missing or names another server: %q", addr, name, c[0].Message)
			}
		}
		if c := named(cs, "relay"); len(c) != 1 || c[0].Level != doctor.OK {
			t.Errorf("%s: the relay needs no DNS here: %+v", addr, c)
		}
	}
}

// TestDMARCLookupFails: a DMARC lookup that fails (SERVFAIL, not "no such
// name") says nothing about the record, so the check warns. It neither
// passes on the organizational domain's record, which applies only where
// the From domain has none (RFC 7489 section 6.6.3), nor claims none.
func TestDMARCLookupFails(t *testing.T) {
	s := newSite(t)
	parent := `_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject"`
	for _, c := range []struct {
		name    string
		add     []string
		failing string // the name the server fails on
		where   string // the name the warning names
	}{
		{"From domain fails, organizational domain has one", []string{parent}, "_dmarc.news.example.com.", "_dmarc.news.example.com"},
		{"From domain fails, no record anywhere", nil, "_dmarc.news.example.com.", "_dmarc.news.example.com"},
		{"no record at the From domain, organizational domain fails", nil, "_dmarc.example.com.", "_dmarc.example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			zone := s.zone()
			delete(zone, "dmarc")
			for i, r := range c.add {
				zone["add"+string(rune('0'+i))] = r
			}
			cs := s.run(t, failing(t, serve(t, zone).Addr, c.failing))
			bad := notOK(cs)
			if len(bad) != 1 || bad[0].Name != "dmarc" || bad[0].Level != doctor.Warn || bad[0].Record != "" {
				t.Fatalf("want one WARN dmarc, got %+v", bad)
			}
			if want := "DMARC of news.example.com: lookup of " + c.where + " failed"; !strings.HasPrefix(bad[0].Message, want) {
				t.Errorf("message %q, want %q...", bad[0].Message, want)
			}
		})
	}
}

// failing is a name server on 127.0.0.1 (UDP) that answers SERVFAIL for
// name, and with a search domain appended to it, and passes every other
// question on to upstream.
func failing(t *testing.T, upstream, name string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		if len(req.Question) == 1 && strings.HasPrefix(strings.ToLower(req.Question[0].Name), name) {
			m := new(dns.Msg)
			m.SetRcode(req, dns.RcodeServerFailure)
			w.WriteMsg(m)
			return
		}
		resp, _, err := new(dns.Client).Exchange(req, upstream)
		if err != nil {
			m := new(dns.Msg)
			m.SetRcode(req, dns.RcodeServerFailure)
			resp = m
		}
		w.WriteMsg(resp)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}
