// Package dnstest is a DNS server on 127.0.0.1 for tests (github.com/miekg/dns):
// it answers from the records it is given, in zone-file syntax, over UDP and
// TCP on one port, and nothing else.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server is a running test DNS server.
type Server struct {
	Addr    string // 127.0.0.1:PORT, for a resolver's Dial
	mu      sync.Mutex
	records []dns.RR
}

// Start serves records, each a zone-file line such as
// "example.org. 300 IN MX 10 mx.example.org.", until the test ends.
func Start(tb testing.TB, records ...string) *Server {
	tb.Helper()
	s := &Server{}
	for _, r := range records {
		rr, err := dns.NewRR(r)
		if err != nil {
			tb.Fatalf("record %q: %v", r, err)
		}
		s.records = append(s.records, rr)
	}
	var udp net.PacketConn
	var tcp net.Listener
	for try := 0; ; try++ {
		var err error
		if udp, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			tb.Fatal(err)
		}
		if tcp, err = net.Listen("tcp", udp.LocalAddr().String()); err == nil {
			break
		}
		udp.Close()
		if try == 10 {
			tb.Fatalf("no port free for both UDP and TCP: %v", err)
		}
	}
	s.Addr = udp.LocalAddr().String()
	h := dns.HandlerFunc(s.answer)
	us, ts := &dns.Server{PacketConn: udp, Handler: h}, &dns.Server{Listener: tcp, Handler: h}
	go us.ActivateAndServe()
	go ts.ActivateAndServe()
	tb.Cleanup(func() { us.Shutdown(); ts.Shutdown() })
	return s
}

func (s *Server) answer(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) == 1 {
		q := req.Question[0]
		known := false
		s.mu.Lock()
		for _, rr := range s.records {
			h := rr.Header()
			if !strings.EqualFold(h.Name, q.Name) {
				continue
			}
			known = true
			if h.Rrtype == q.Qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
		s.mu.Unlock()
		if !known {
			m.Rcode = dns.RcodeNameError
		}
	}
	w.WriteMsg(m)
}
