package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"

	"blitiri.com.ar/go/spf"
)

// dnsChecks look at the records receivers look at.
type dnsChecks struct {
	in  Input
	r   *report
	ips []net.IP // where the mail comes from, as receivers see it
}

func (c *dnsChecks) run(ctx context.Context) {
	host := string(c.in.Config.ListHost)
	c.mx(ctx, host)
	c.ips = c.sendingIPs(ctx)
	c.spf(ctx, host)
	c.ptr(ctx)
	if c.in.Signer != nil {
		c.dkim(ctx)
	}
	seen := map[string]bool{}
	for _, l := range c.in.Lists {
		if l.FromAddress == "" || seen[domainOf(l.FromAddress)] {
			continue
		}
		seen[domainOf(l.FromAddress)] = true
		c.dmarc(ctx, domainOf(l.FromAddress))
	}
}

// notFound says whether a lookup found no such record (rather than failing).
func notFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

func (c *dnsChecks) mx(ctx context.Context, host string) {
	mxs, err := c.in.Resolver.LookupMX(ctx, host)
	if err != nil && !notFound(err) {
		c.lookupFailed("mx", "MX of "+host, err)
		return
	}
	if len(mxs) == 0 {
		c.r.add("mx", Fix, fmt.Sprintf("%s has no MX: commands, confirmations and bounces sent to the list addresses do not reach you", host),
			fmt.Sprintf("%s. IN MX 10 <your mail server>.", host))
		return
	}
	var names []string
	for _, m := range mxs {
		names = append(names, strings.TrimSuffix(m.Host, "."))
	}
	c.r.add("mx", OK, fmt.Sprintf("MX of %s: %s", host, strings.Join(names, ", ")), "")
}

// sendingIPs are the given addresses, else the relay's public ones.
func (c *dnsChecks) sendingIPs(ctx context.Context) []net.IP {
	if len(c.in.SendingIPs) > 0 {
		return c.in.SendingIPs
	}
	cfg := c.in.Config
	if cfg.Transport.Kind != "smtp" {
		return nil
	}
	addrs, err := c.in.Resolver.LookupIPAddr(ctx, cfg.SMTP.Host)
	if err != nil {
		if ok, _ := noAnswer(err); ok {
			c.lookupFailed("sending-ip", "address of the relay "+cfg.SMTP.Host, err)
			return nil
		}
		c.r.add("sending-ip", Warn, fmt.Sprintf("cannot resolve the relay %s: %v", cfg.SMTP.Host, err), "")
		return nil
	}
	var out []net.IP
	for _, a := range addrs {
		if !a.IP.IsLoopback() && !a.IP.IsPrivate() {
			out = append(out, a.IP)
		}
	}
	if len(out) == 0 {
		c.r.add("sending-ip", Warn, fmt.Sprintf("the relay %s is on this machine or a private network: receivers see another address; "+
			"give it with mailer doctor --sending-ip to check SPF and PTR", cfg.SMTP.Host), "")
	}
	return out
}

// spfRecord returns the domain's SPF record, "" if none.
func (c *dnsChecks) spfRecord(ctx context.Context, host string) (string, error) {
	txts, err := c.in.Resolver.LookupTXT(ctx, host)
	if err != nil && !notFound(err) {
		return "", err
	}
	for _, t := range txts {
		if strings.HasPrefix(strings.ToLower(t), "v=spf1") {
			return t, nil
		}
	}
	return "", nil
}

// suggestedSPF permits the MX and the sending addresses.
func (c *dnsChecks) suggestedSPF(host string) string {
	rec := "v=spf1 mx"
	for _, ip := range c.ips {
		if ip.To4() != nil {
			rec += " ip4:" + ip.String()
		} else {
			rec += " ip6:" + ip.String()
		}
	}
	return fmt.Sprintf("%s. IN TXT \"%s ~all\"", host, rec)
}

// spf checks the record of the envelope domain (LIST-bounces@list_host)
// permits every sending address.
func (c *dnsChecks) spf(ctx context.Context, host string) {
	rec, err := c.spfRecord(ctx, host)
	switch {
	case err != nil:
		c.lookupFailed("spf", "SPF of "+host, err)
		return
	case rec == "":
		c.r.add("spf", Fix, fmt.Sprintf("%s has no SPF record: the envelope sender is LIST-bounces@%s", host, host), c.suggestedSPF(host))
		return
	case len(c.ips) == 0:
		c.r.add("spf", OK, fmt.Sprintf("SPF of %s: %q (sending address unknown, not evaluated)", host, rec), "")
		return
	}
	for _, ip := range c.ips {
		res, err := spf.CheckHostWithSender(ip, string(c.in.Config.ListHost), "bounces@"+host,
			spf.WithResolver(c.in.Resolver), spf.WithContext(ctx))
		if res == spf.TempError && err != nil {
			// A lookup the record needs (include:, a, mx) failed: that
			// says nothing about whether it permits ip.
			c.lookupFailed("spf", fmt.Sprintf("SPF of %s for %s", host, ip), err)
			return
		}
		if res != spf.Pass {
			why := string(res)
			if err != nil {
				why += ": " + err.Error()
			}
			c.r.add("spf", Fix, fmt.Sprintf("SPF of %s (%q) does not permit %s (%s)", host, rec, ip, why), c.suggestedSPF(host))
			return
		}
	}
	c.r.add("spf", OK, fmt.Sprintf("SPF of %s permits %s", host, joinIPs(c.ips)), "")
}

// ptr checks each sending address has a name that resolves back to it.
func (c *dnsChecks) ptr(ctx context.Context) {
	for _, ip := range c.ips {
		names, err := c.in.Resolver.LookupAddr(ctx, ip.String())
		if err != nil && !notFound(err) {
			c.lookupFailed("ptr", "PTR of "+ip.String(), err)
			continue
		}
		name, ok, ferr := c.confirmed(ctx, ip, names)
		if ok {
			c.r.add("ptr", OK, fmt.Sprintf("%s is %s, which resolves back to it", ip, name), "")
			continue
		}
		if ferr != nil {
			c.lookupFailed("ptr", fmt.Sprintf("PTR of %s: address of %s", ip, name), ferr)
			continue
		}
		c.r.add("ptr", Fix, fmt.Sprintf("%s has no PTR name that resolves back to it (found %v): many receivers refuse such senders; ask its provider for one", ip, names),
			fmt.Sprintf("%s IN PTR <a name of yours that has an A/AAAA record %s>", reverseName(ip), ip))
	}
}

// confirmed returns the name of names that resolves back to ip; failing
// that, the first name whose forward lookup went unanswered and why, as
// that name may well resolve back.
func (c *dnsChecks) confirmed(ctx context.Context, ip net.IP, names []string) (string, bool, error) {
	var unanswered string
	var uerr error
	for _, n := range names {
		addrs, err := c.in.Resolver.LookupIPAddr(ctx, n)
		if err != nil {
			if ok, _ := noAnswer(err); ok && uerr == nil {
				unanswered, uerr = strings.TrimSuffix(n, "."), err
			}
			continue
		}
		for _, a := range addrs {
			if a.IP.Equal(ip) {
				return strings.TrimSuffix(n, "."), true, nil
			}
		}
	}
	return unanswered, false, uerr
}

func reverseName(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa.", v4[3], v4[2], v4[1], v4[0])
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i := len(ip) - 1; i >= 0; i-- {
		b.WriteByte(hex[ip[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[ip[i]>>4])
		b.WriteByte('.')
	}
	return b.String() + "ip6.arpa."
}

func joinIPs(ips []net.IP) string {
	var s []string
	for _, ip := range ips {
		s = append(s, ip.String())
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
