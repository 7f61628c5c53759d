package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Unknown is the level of a check that could not be made because the name
// server did not answer: the record may be there or not, so it is neither
// OK nor a FIX (which would have the owner publish what may already be
// published).
const Unknown = "UNKNOWN"

// answeredErrors are the failures Go's resolver reports after a server did
// answer (SERVFAIL, a referral, a malformed reply): the server is there
// and said something, which is a WARN that the lookup failed.
var answeredErrors = map[string]bool{
	"server misbehaving": true, "lame referral": true, "invalid DNS response": true,
	"cannot unmarshal DNS message": true, "no such host": true,
}

// noAnswer says whether err means the name server gave no reply at all
// (timeout, connection refused, unreachable), and the reason in short.
func noAnswer(err error) (bool, string) {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true, err.Error()
	}
	var de *net.DNSError
	if !errors.As(err, &de) || de.IsNotFound || answeredErrors[de.Err] {
		return false, ""
	}
	why := de.Err
	if i := strings.LastIndex(why, ": "); i >= 0 {
		why = why[i+2:] // "read udp A->B: read: connection refused"
	}
	return true, why
}

// lookupFailed reports a lookup of what (for example "MX of example.org")
// that failed: UNKNOWN naming the server when it did not answer, else a
// WARN with the error.
func (c *dnsChecks) lookupFailed(name, what string, err error) {
	if ok, why := noAnswer(err); ok {
		c.r.add(name, Unknown, fmt.Sprintf("%s: not checked: %s did not answer (%s)", what, c.serverName(), why), "")
		return
	}
	c.r.add(name, Warn, fmt.Sprintf("%s: lookup failed: %v", what, err), "")
}

// serverName names the server asked. Go's error names the system's server
// even when a custom Dial sent the question elsewhere, so the address
// comes from the input.
func (c *dnsChecks) serverName() string {
	if c.in.NameServer == "" {
		return "the name server"
	}
	return "the name server " + c.in.NameServer
}

// Unknowns counts the checks the name server left unmade.
func Unknowns(cs []Check) int {
	n := 0
	for _, c := range cs {
		if c.Level == Unknown {
			n++
		}
	}
	return n
}
