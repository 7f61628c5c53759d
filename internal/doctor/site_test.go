package doctor_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"mailer/internal/app"
	"mailer/internal/config"
	"mailer/internal/dkimsign"
	"mailer/internal/dnstest"
	"mailer/internal/doctor"
	"mailer/internal/smtptest"
	"mailer/internal/store"
)

// sendingIP is where the tests' mail comes from, as receivers see it.
var sendingIP = net.ParseIP("192.0.2.10")

// site is a sender set up as the README says: an RSA DKIM key (its record
// is longer than one 255-character TXT string), an https base URL, a list
// whose From is on the DKIM domain, and an SMTP relay that answers.
type site struct {
	cfg    *config.Config
	db     *store.DB
	srv    *smtptest.Server
	record string // the DKIM TXT value of the configured key
}

func newSite(t *testing.T) *site {
	t.Helper()
	dir := t.TempDir()
	key, err := rsaKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dkim.key"), key.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := smtptest.Start(t)
	cfg := config.Default()
	cfg.Dir = dir // key_file is relative to it, as in a config file
	cfg.Secret = strings.Repeat("s", config.MinSecretLen)
	cfg.BaseURL, cfg.ListHost = "https://lists.news.example.com", "lists.news.example.com"
	cfg.Owner = "Editor <editor@news.example.com>"
	cfg.Transport = config.Transport{Kind: "smtp"}
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS = srv.Host, srv.Port, config.TLSNone
	cfg.DKIM = config.DKIM{Domain: "news.example.com", Selector: "s1", KeyFile: "dkim.key"}
	db, err := store.Open(context.Background(), filepath.Join(dir, "mailer.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &site{cfg: &cfg, db: db, srv: srv, record: key.record}
	s.addList(t, "weekly", "Editor <editor@news.example.com>")
	return s
}

// dkimKey is a DKIM key as its PEM file and the TXT record publishing it.
type dkimKey struct {
	pem    []byte
	record string
}

// rsaKey is one RSA key for every site of the run: making one takes a while.
var rsaKey = sync.OnceValues(func() (dkimKey, error) {
	key, err := dkimsign.Generate("rsa")
	if err != nil {
		return dkimKey{}, err
	}
	pem, err := dkimsign.PEM(key)
	if err != nil {
		return dkimKey{}, err
	}
	rec, err := dkimsign.TXTRecord(key)
	return dkimKey{pem: pem, record: rec}, err
})

// addList creates a list; an empty from leaves it without a From.
func (s *site) addList(t *testing.T, name, from string) {
	t.Helper()
	set := store.ListSettings{}
	if from != "" {
		set.From = &from
	}
	if _, err := s.db.CreateList(context.Background(), name, set); err != nil {
		t.Fatal(err)
	}
}

// zone is every record a careful owner publishes for sendingIP.
func (s *site) zone() map[string]string {
	return map[string]string{
		"mx":    "lists.news.example.com. 300 IN MX 10 mx.news.example.com.",
		"a":     "mx.news.example.com. 300 IN A 192.0.2.10",
		"spf":   `lists.news.example.com. 300 IN TXT "v=spf1 ip4:192.0.2.10 -all"`,
		"dkim":  "s1._domainkey.news.example.com. 300 IN TXT " + doctor.QuoteTXT(s.record),
		"dmarc": `_dmarc.news.example.com. 300 IN TXT "v=DMARC1; p=quarantine; rua=mailto:editor@news.example.com"`,
		"ptr":   "10.2.0.192.in-addr.arpa. 300 IN PTR mx.news.example.com.",
	}
}

// serve starts a test DNS server with the zone's records.
func serve(t *testing.T, zone map[string]string) *dnstest.Server {
	t.Helper()
	var rrs []string
	for _, r := range zone {
		rrs = append(rrs, r)
	}
	return dnstest.Start(t, rrs...)
}

// run makes every check, the input built as `mailer doctor` builds it,
// asking the name server at addr alone.
func (s *site) run(t *testing.T, addr string) []doctor.Check {
	t.Helper()
	in := app.DoctorInput(s.cfg)
	in.Resolver, in.NameServer = doctor.NameServer(addr), addr
	in.SendingIPs = []net.IP{sendingIP}
	lists, err := s.db.Lists(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	in.Lists = lists
	return doctor.Run(context.Background(), in)
}

// runWith makes every check asking r, which names itself server.
func (s *site) runWith(t *testing.T, r doctor.Resolver, server string) []doctor.Check {
	t.Helper()
	in := app.DoctorInput(s.cfg)
	in.Resolver, in.NameServer = r, server
	in.SendingIPs = []net.IP{sendingIP}
	lists, err := s.db.Lists(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	in.Lists = lists
	return doctor.Run(context.Background(), in)
}

// named returns the checks called name.
func named(cs []doctor.Check, name string) []doctor.Check {
	var out []doctor.Check
	for _, c := range cs {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// notOK returns the checks that are WARN or FIX.
func notOK(cs []doctor.Check) []doctor.Check {
	var out []doctor.Check
	for _, c := range cs {
		if c.Level != doctor.OK {
			out = append(out, c)
		}
	}
	return out
}

// deadPort is a UDP and TCP port on 127.0.0.1 nothing listens on.
func deadPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}
