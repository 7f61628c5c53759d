// Package clientip says which address an HTTP request came from, for the
// rate limits, login throttles and audit evidence of every web edge alike.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Of is the client's address: the peer, or, when the peer is one of the
// trusted proxies, the last X-Forwarded-For hop that is not one. A client
// can write anything into X-Forwarded-For, so the header of a peer that
// is not trusted is ignored.
func Of(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer, trusted) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !isTrusted(a, trusted) {
			return a.String()
		}
	}
	return host
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
