package doctor

import (
	"context"
	"net"
)

// NameServer is the system's resolver, or one that asks server (host:port)
// alone, to check what a given name server publishes.
func NameServer(server string) *net.Resolver {
	if server == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, network, server)
	}}
}
