package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// dkim checks that each key (two with dual signing) is published.
func (c *dnsChecks) dkim(ctx context.Context) {
	recs, err := c.in.Signer.Records()
	if err != nil {
		c.r.add("dkim-dns", Fix, fmt.Sprintf("DKIM key: %v", err), "")
		return
	}
	names := make([]string, 0, len(recs))
	for name := range recs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c.dkimRecord(ctx, name, recs[name])
	}
}

// dkimRecord checks the record at name holds the key of want.
func (c *dnsChecks) dkimRecord(ctx context.Context, name, want string) {
	record := fmt.Sprintf("%s. IN TXT %s", name, QuoteTXT(want))
	txts, err := c.in.Resolver.LookupTXT(ctx, name)
	if err != nil && !notFound(err) {
		c.lookupFailed("dkim-dns", "DKIM record "+name, err)
		return
	}
	if len(txts) == 0 {
		c.r.add("dkim-dns", Fix, fmt.Sprintf("no DKIM record at %s: receivers cannot verify the signature", name), record)
		return
	}
	got := strings.Join(txts, "")
	if tag(got, "p") != tag(want, "p") {
		c.r.add("dkim-dns", Fix, fmt.Sprintf("the DKIM record at %s holds another key than the configured one", name), record)
		return
	}
	c.r.add("dkim-dns", OK, fmt.Sprintf("DKIM record %s matches the key", name), "")
}

// dmarc checks the From domain (or its parent, the organizational domain
// for the usual two-label case) publishes DMARC, and that the signature
// aligns with it.
func (c *dnsChecks) dmarc(ctx context.Context, dom string) {
	rec, at, err := c.dmarcRecord(ctx, dom)
	if err != nil {
		if ok, why := noAnswer(err); ok {
			c.r.add("dmarc", Unknown, fmt.Sprintf("DMARC of %s: not checked: %s did not answer for %s (%s)", dom, c.serverName(), at, why), "")
			return
		}
		c.r.add("dmarc", Warn, fmt.Sprintf("DMARC of %s: lookup of %s failed: %v", dom, at, err), "")
		return
	}
	owner := string(c.in.Config.Owner)
	if i := strings.IndexByte(owner, '<'); i >= 0 {
		owner = strings.Trim(owner[i:], "<>")
	}
	if owner == "" {
		owner = "postmaster@" + dom
	}
	suggestion := fmt.Sprintf("_dmarc.%s. IN TXT \"v=DMARC1; p=none; rua=mailto:%s\"", dom, owner)
	if rec == "" {
		c.r.add("dmarc", Fix, fmt.Sprintf("%s publishes no DMARC record: large mailbox providers require one of bulk senders (start with p=none)", dom), suggestion)
		return
	}
	dk := c.in.Config.DKIM.Domain
	if dk != "" && !aligned(dom, dk) {
		c.r.add("dmarc", Fix, fmt.Sprintf("DMARC of %s (%s): DKIM signs as %s, which does not align with the From domain", dom, at, dk), "")
		return
	}
	c.r.add("dmarc", OK, fmt.Sprintf("DMARC of %s at %s: %q", dom, at, rec), "")
}

// dmarcRecord returns the record and where it was found. Only an answer
// that there is no record moves on to the organizational domain: a failed
// lookup (SERVFAIL, timeout) says nothing about the From domain, and RFC
// 7489 section 6.6.3 keeps the two apart, so it is returned as an error
// rather than read as "none here".
func (c *dnsChecks) dmarcRecord(ctx context.Context, dom string) (rec, at string, err error) {
	for _, d := range []string{dom, parentDomain(dom)} {
		if d == "" {
			continue
		}
		txts, err := c.in.Resolver.LookupTXT(ctx, "_dmarc."+d)
		if err != nil && !notFound(err) {
			return "", "_dmarc." + d, err
		}
		for _, t := range txts {
			if strings.HasPrefix(strings.ToUpper(t), "V=DMARC1") {
				return t, "_dmarc." + d, nil
			}
		}
	}
	return "", "", nil
}

func parentDomain(d string) string {
	labels := strings.Split(d, ".")
	if len(labels) <= 2 {
		return ""
	}
	return strings.Join(labels[len(labels)-2:], ".")
}

// tag returns a tag's value in a DKIM record (k=v; k=v).
func tag(rec, name string) string {
	for _, kv := range strings.Split(rec, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && strings.TrimSpace(k) == name {
			return strings.Join(strings.Fields(v), "")
		}
	}
	return ""
}

// QuoteTXT writes a TXT value as zone files need it: strings of at most
// 255 characters, quoted, side by side.
func QuoteTXT(v string) string {
	var parts []string
	for len(v) > 255 {
		parts = append(parts, `"`+v[:255]+`"`)
		v = v[255:]
	}
	return strings.Join(append(parts, `"`+v+`"`), " ")
}
