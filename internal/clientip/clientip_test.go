package clientip

import (
	"net/http"
	"net/netip"
	"testing"
)

// TestOf: the peer unless it is a trusted proxy; behind one, the last hop
// that is not a proxy; a forged header from an untrusted peer, a garbled
// hop and an IPv4-mapped proxy address each handled.
func TestOf(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, c := range []struct {
		remote string
		xff    []string
		want   string
	}{
		{"192.0.2.7:5000", nil, "192.0.2.7"},
		{"192.0.2.7:5000", []string{"203.0.113.9"}, "192.0.2.7"}, // not a proxy: its header is the client's word
		{"10.1.2.3:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"10.1.2.3:443", []string{"198.51.100.1, 203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"10.1.2.3:443", []string{"198.51.100.1", "203.0.113.9"}, "203.0.113.9"}, // two header lines
		{"10.1.2.3:443", []string{"garbage, 10.9.9.9"}, "10.1.2.3"},
		{"10.1.2.3:443", nil, "10.1.2.3"},
		{"[::1]:8081", []string{"2001:db8::5"}, "2001:db8::5"},
		{"[::ffff:10.0.0.1]:80", []string{"203.0.113.9"}, "203.0.113.9"},
		{"not-an-address", []string{"203.0.113.9"}, "not-an-address"},
	} {
		r := &http.Request{RemoteAddr: c.remote, Header: http.Header{}}
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := Of(r, proxies); got != c.want {
			t.Errorf("%s %q: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}
