package doctor_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"mailer/internal/doctor"
)

// split asks the test DNS server, except for the names in dead, which go
// to a port nobody answers on: one zone served, one part of it unreachable
// (an include's domain on a name server that is down).
type split struct {
	good, down *net.Resolver
	dead       map[string]bool
}

func (s split) pick(name string) *net.Resolver {
	if s.dead[strings.TrimSuffix(strings.ToLower(name), ".")] {
		return s.down
	}
	return s.good
}

func (s split) LookupTXT(ctx context.Context, n string) ([]string, error) {
	return s.pick(n).LookupTXT(ctx, n)
}
func (s split) LookupMX(ctx context.Context, n string) ([]*net.MX, error) {
	return s.pick(n).LookupMX(ctx, n)
}
func (s split) LookupIPAddr(ctx context.Context, n string) ([]net.IPAddr, error) {
	return s.pick(n).LookupIPAddr(ctx, n)
}
func (s split) LookupAddr(ctx context.Context, n string) ([]string, error) {
	return s.pick(n).LookupAddr(ctx, n)
}

// TestPartlyUnanswered: a lookup a check needs beyond its first one goes
// unanswered (the SPF record's include:, the PTR name's address). The
// check is UNKNOWN, saying so, and not a FIX claiming the record does not
// permit the address or no name resolves back; the other checks are OK.
func TestPartlyUnanswered(t *testing.T) {
	s := newSite(t)
	zone := s.zone()
	zone["spf"] = `lists.news.example.com. 300 IN TXT "v=spf1 include:_spf.relay.example.net -all"`
	zone["relay-spf"] = `_spf.relay.example.net. 300 IN TXT "v=spf1 ip4:192.0.2.10 -all"`
	good := serve(t, zone).Addr
	r := split{good: doctor.NameServer(good), down: doctor.NameServer("127.0.0.1:1"),
		dead: map[string]bool{"_spf.relay.example.net": true, "mx.news.example.com": true}}

	cs := s.runWith(t, r, good)
	if doctor.Fixes(cs) != 0 {
		t.Errorf("fixes claimed for records that were not read: %+v", notOK(cs))
	}
	for name, want := range map[string]string{
		"spf": "SPF of lists.news.example.com for 192.0.2.10: not checked: the name server " + good + " did not answer",
		"ptr": "PTR of 192.0.2.10: address of mx.news.example.com: not checked: the name server " + good + " did not answer",
	} {
		if c := named(cs, name); len(c) != 1 || c[0].Level != doctor.Unknown || !strings.HasPrefix(c[0].Message, want) {
			t.Errorf("%s: %+v, want UNKNOWN %q...", name, c, want)
		}
	}
	if bad := notOK(cs); len(bad) != 2 {
		t.Errorf("want spf and ptr alone not OK, got %+v", bad)
	}

	// Answered, the same zone passes: the UNKNOWNs were the server's silence.
	if bad := notOK(s.runWith(t, split{good: doctor.NameServer(good)}, good)); len(bad) != 0 {
		t.Errorf("with every name answered: %+v", bad)
	}
}
