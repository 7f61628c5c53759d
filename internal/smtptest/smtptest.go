// Package smtptest runs a real SMTP (or LMTP) server on 127.0.0.1 for tests,
// built on github.com/emersion/go-smtp: it records what it accepts and can
// refuse, drop or stall messages for chosen recipients or at random, or
// throttle them over a sending rate (RateLimit).
package smtptest

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
	At   time.Time // when the server accepted it
}

// Fault is what the server does instead of accepting.
type Fault struct {
	Stage string        // "MAIL", "RCPT" or "DATA"
	Code  int           // reply code, e.g. 421, 451, 452, 550, 554
	Drop  bool          // close the connection in the middle of DATA
	Delay time.Duration // wait this long before answering
	Times int           // how many times it happens; 0 is always
}

// Server is a running test server.
type Server struct {
	Addr string
	Host string
	Port int

	// Username and Password, when set, are required (AUTH PLAIN).
	Username, Password string
	// CertPEM is the certificate EnableTLS made, for a client in another
	// process to trust (SSL_CERT_FILE).
	CertPEM []byte
	// Random, when set, may return a fault for any recipient.
	Random func(rcpt string) *Fault
	// Accepted, when set, is called with each message the server took,
	// before it answers: a relay that takes a message and reports on it
	// later (a bounce by mail) is built on it.
	Accepted func(Message)

	srv      *smtp.Server
	mu       sync.Mutex
	msgs     []Message
	faults   map[string][]*Fault
	Sessions atomic.Int64 // connections opened
	Resets   atomic.Int64 // RSETs (and implicit resets) seen
	Chunked  atomic.Int64 // BDAT commands seen (RFC 3030)
	DataCmds atomic.Int64 // DATA commands seen
	// Throttled counts the messages a RateLimit refused.
	Throttled atomic.Int64

	limit *limiter
}

// Options choose what the server speaks and how far away it is.
type Options struct {
	LMTP     bool
	SMTPUTF8 bool // offer SMTPUTF8 (RFC 6531)
	// Latency delays every byte the server writes by this long, without
	// slowing its throughput: a receiver on the other side of the world,
	// as far as the client can tell (the round-trip time).
	Latency time.Duration
	// RateLimit, when set, refuses messages over a sending rate.
	RateLimit *RateLimit
}

// Start starts an SMTP server on 127.0.0.1:0, stopped when the test ends.
func Start(tb testing.TB) *Server { return StartWith(tb, Options{}) }

// StartSMTPUTF8 starts an SMTP server that offers SMTPUTF8 (RFC 6531).
func StartSMTPUTF8(tb testing.TB) *Server { return StartWith(tb, Options{SMTPUTF8: true}) }

// StartWith starts a server with o.
func StartWith(tb testing.TB, o Options) *Server {
	tb.Helper()
	s := &Server{faults: map[string][]*Fault{}}
	s.limit = newLimiter(o.RateLimit, &s.Throttled)
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "localhost"
	s.srv.LMTP = o.LMTP
	s.srv.EnableSMTPUTF8 = o.SMTPUTF8
	s.srv.AllowInsecureAuth = true
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go s.srv.Serve(&wireListener{Listener: ln, s: s, latency: o.Latency})
	tb.Cleanup(func() { s.srv.Close() })
	s.Addr = ln.Addr().String()
	s.Host = "127.0.0.1"
	s.Port = ln.Addr().(*net.TCPAddr).Port
	return s
}

// Fail makes the server apply f to mail for rcpt (case-insensitive).
func (s *Server) Fail(rcpt string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(rcpt)
	s.faults[k] = append(s.faults[k], &f)
}

// Messages returns what the server accepted, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// ByRecipient counts accepted copies per recipient address.
func (s *Server) ByRecipient() map[string]int {
	out := map[string]int{}
	for _, m := range s.Messages() {
		for _, r := range m.To {
			out[strings.ToLower(r)]++
		}
	}
	return out
}

// fault returns the fault for rcpt at stage, consuming one use.
func (s *Server) fault(rcpt, stage string) *Fault {
	s.mu.Lock()
	for _, f := range s.faults[strings.ToLower(rcpt)] {
		if f.Stage == stage && f.Times >= 0 {
			if f.Times > 0 {
				f.Times--
				if f.Times == 0 {
					f.Times = -1
				}
			}
			s.mu.Unlock()
			return f
		}
	}
	s.mu.Unlock()
	if s.Random != nil && stage == "RCPT" {
		return s.Random(rcpt)
	}
	return nil
}

// RandomFaults returns a Random function that fails a share of recipients
// with the given faults, from a seeded generator so runs repeat.
func RandomFaults(seed uint64, share float64, faults ...Fault) func(string) *Fault {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, seed))
	return func(string) *Fault {
		mu.Lock()
		defer mu.Unlock()
		if r.Float64() >= share {
			return nil
		}
		f := faults[r.IntN(len(faults))]
		return &f
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.s.Sessions.Add(1)
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s      *Server
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
	dataF  *Fault
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.Username || pass != ss.s.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.Username != "" && !ss.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if err := ss.s.limit.check(ss, "MAIL"); err != nil {
		return err
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.s.limit.check(ss, "RCPT"); err != nil {
		return err
	}
	if f := ss.s.fault(to, "RCPT"); f != nil {
		if err := ss.apply(f); err != nil {
			return err
		}
	}
	if f := ss.s.fault(to, "DATA"); f != nil {
		ss.dataF = f
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) apply(f *Fault) error {
	time.Sleep(f.Delay)
	if f.Drop {
		ss.conn.Close()
		return errors.New("connection dropped")
	}
	if f.Code == 0 {
		return nil
	}
	return &smtp.SMTPError{Code: f.Code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "injected fault"}
}

func (ss *session) Data(r io.Reader) error {
	if f := ss.dataF; f != nil && f.Drop {
		io.CopyN(io.Discard, r, 512)
		ss.conn.Close()
		return errors.New("connection dropped")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if f := ss.dataF; f != nil {
		if err := ss.apply(f); err != nil {
			return err
		}
	}
	if err := ss.s.limit.check(ss, "DATA"); err != nil {
		return err
	}
	m := Message{From: ss.from, To: append([]string(nil), ss.to...), Data: data, At: time.Now()}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	ss.s.mu.Unlock()
	if ss.s.Accepted != nil {
		ss.s.Accepted(m)
	}
	return nil
}

func (ss *session) Reset() {
	ss.s.Resets.Add(1)
	ss.from, ss.to, ss.dataF = "", nil, nil
}

func (ss *session) Logout() error { return nil }
