// Package doctor checks what decides whether a list's mail is delivered and
// trusted: the configuration, the DNS records of the list host and the From
// domains (MX, SPF, DKIM, DMARC, PTR), and the SMTP relay itself. Each
// check says OK, WARN or FIX, and a FIX carries the record to publish.
package doctor

import (
	"context"
	"net"
	"strings"

	"mailer/internal/config"
	"mailer/internal/dkimsign"
	"mailer/internal/store"
)

// Levels of a check (and Unknown, in noanswer.go).
const (
	OK   = "OK"
	Warn = "WARN"
	Fix  = "FIX"
)

// Check is one finding.
type Check struct {
	Name    string `json:"name"`
	Level   string `json:"level"`
	Message string `json:"message"`
	// Record is the DNS record to publish (zone-file syntax), when one
	// would fix this.
	Record string `json:"record,omitempty"`
}

// Resolver looks up DNS records (net.Resolver does).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Prober connects to the SMTP relay as the sender would (EHLO, STARTTLS,
// AUTH as configured) and says what it found, or why it could not.
type Prober func(ctx context.Context) (string, error)

// Input is what the checks look at.
type Input struct {
	Config  *config.Config
	Lists   []*store.List
	Signer  *dkimsign.Signer // nil: DKIM is off or its key did not load
	DKIMErr error            // why the key did not load
	// SendingIPs are the addresses receivers see the mail come from; empty:
	// the relay's own addresses, looked up.
	SendingIPs []net.IP
	Resolver   Resolver
	// NameServer is the address Resolver asks, for messages ("": the
	// system's).
	NameServer string
	Probe      Prober   // nil: the transport is not SMTP
	Postconf   Postconf // nil: Postfix is not on this machine
}

// Run makes every check, in order: configuration, relay, DNS.
func Run(ctx context.Context, in Input) []Check {
	var r report
	configChecks(&r, in)
	postfixChecks(ctx, &r, in)
	if in.Probe != nil {
		relayCheck(ctx, &r, in)
	}
	dns := dnsChecks{in: in, r: &r}
	dns.run(ctx)
	return r.checks
}

// Fixes counts the checks that need fixing.
func Fixes(cs []Check) int {
	n := 0
	for _, c := range cs {
		if c.Level == Fix {
			n++
		}
	}
	return n
}

type report struct{ checks []Check }

func (r *report) add(name, level, msg, record string) {
	r.checks = append(r.checks, Check{Name: name, Level: level, Message: msg, Record: record})
}

// aligned is DMARC's relaxed alignment: the From domain is the other
// domain or below it, or the other way round.
func aligned(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	return a == b || strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a)
}

func domainOf(addr string) string {
	return strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])
}
