package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// Store is what the Service keeps in the database (*store.DB).
type Store interface {
	Account(ctx context.Context, email string) (store.Account, error)
	Accounts(ctx context.Context) ([]store.Account, error)
	SetPassword(ctx context.Context, email, hash string, admin *bool, ev store.Evidence) error
	RehashPassword(ctx context.Context, email, hash string) error
	RecordLogin(ctx context.Context, email string) error
	DeleteAccount(ctx context.Context, email string, ev store.Evidence) error
	ListsOwnedBy(ctx context.Context, email string) ([]string, error)
	Lists(ctx context.Context) ([]*store.List, error)
	GetList(ctx context.Context, name string) (*store.List, error)

	RecordLoginFailure(ctx context.Context, email, client string) error
	LoginFailures(ctx context.Context, kind, key string, since time.Time) (int, time.Time, error)
	ClearLoginFailures(ctx context.Context, email string) error

	CreateSession(ctx context.Context, id string, s store.StoredSession) error
	GetSession(ctx context.Context, id string) (store.StoredSession, error)
	TouchSession(ctx context.Context, id string, idle time.Time) error
	DeleteSession(ctx context.Context, id string) error

	CreateAPIToken(ctx context.Context, t store.APIToken, secret string, ev store.Evidence) error
	APITokenBySecret(ctx context.Context, secret string) (store.APIToken, error)
	APITokens(ctx context.Context) ([]store.APIToken, error)
	TouchAPIToken(ctx context.Context, name string, at time.Time) error
	RevokeAPIToken(ctx context.Context, name string, ev store.Evidence) error
}

// Options configure a Service.
type Options struct {
	// Owner is the site owner (config `owner`): a site admin with or
	// without the admin flag.
	Owner string
	// Idle and Max are admin.session_idle and admin.session_max.
	Idle, Max time.Duration
	// Params are argon2id's costs for new hashes; zero: DefaultParams.
	Params Params
	Now    func() time.Time // nil: time.Now
	Logger *slog.Logger     // nil: discard
}

// Service proves who asks the owners' listener (see contract.go for the
// methods the console and the API call) and keeps the logins and tokens
// the CLI manages: SetPassword, Owners, RemoveOwner, CreateToken, Tokens,
// RevokeToken, each audited with the caller's evidence.
type Service struct {
	db    Store
	owner string // the site owner's address key, "" for none
	o     Options
	// loginMu runs one login check at a time, so that the throttle's
	// count cannot be outrun by parallel guesses, and concurrent guesses
	// cannot make the machine spend argon2's memory many times over.
	loginMu sync.Mutex
}

// New returns the Service over db.
func New(db Store, o Options) *Service {
	if o.Params == (Params{}) {
		o.Params = DefaultParams
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, o: o}
	if a, err := address.Parse(o.Owner); err == nil {
		s.owner = a.Key()
	}
	return s
}

func (s *Service) now() time.Time { return s.o.Now() }

// maxAddress is the longest address a login looks up: RFC 5321 §4.5.3.1.3
// allows 256 octets in a path, brackets included.
const maxAddress = 256

// errLogin is the one answer to a wrong address and a wrong password.
var errLogin = fault.Errorf(fault.Unauthenticated, "wrong address or password")

// Login checks an owner's password and opens a session. client names who
// is asking (the remote IP address) for the throttle; "" for none.
func (s *Service) Login(ctx context.Context, email, password, client string) (Session, error) {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	if len(email) > maxAddress {
		email = email[:maxAddress] // counted, and failed, as what fits
	}
	key := address.Key(email)
	if err := s.throttled(ctx, key, client); err != nil {
		s.o.Logger.Warn("login refused: throttled", "address", key, "client", client, "wait", RetryAfter(err))
		return Session{}, err
	}
	a, ok, err := s.check(ctx, key, password)
	if err != nil {
		return Session{}, err
	}
	if !ok {
		s.o.Logger.Warn("login failed", "address", key, "client", client)
		if err := s.db.RecordLoginFailure(ctx, key, client); err != nil {
			return Session{}, err
		}
		return Session{}, errLogin
	}
	if err := s.db.ClearLoginFailures(ctx, key); err != nil {
		return Session{}, err
	}
	if err := s.db.RecordLogin(ctx, key); err != nil {
		return Session{}, err
	}
	return s.open(ctx, a)
}

// check reports whether password is a's, for an address with a login or
// not at the same cost; a stale hash is made again with today's costs.
func (s *Service) check(ctx context.Context, key, password string) (store.Account, bool, error) {
	a, err := s.db.Account(ctx, key)
	if fault.CodeOf(err) == fault.NotFound {
		s.o.Params.burn(password)
		return a, false, nil
	}
	if err != nil {
		return a, false, err
	}
	if len(password) > MaxPassword {
		s.o.Params.burn(password[:MaxPassword])
		return a, false, nil
	}
	ok, stale := s.o.Params.verify(a.PasswordHash, password)
	if ok && stale {
		if err := s.db.RehashPassword(ctx, key, s.o.Params.hash(password)); err != nil {
			return a, false, err
		}
	}
	return a, ok, nil
}

// open starts a session for a.
func (s *Service) open(ctx context.Context, a store.Account) (Session, error) {
	p, err := s.person(ctx, a)
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	ss := Session{ID: randomString(), CSRF: randomString(), Principal: p, Expires: now.Add(s.o.Max)}
	ss.IdleExpires = minTime(now.Add(s.o.Idle), ss.Expires)
	err = s.db.CreateSession(ctx, ss.ID, store.StoredSession{CSRF: ss.CSRF, Email: a.Email, CreatedAt: now,
		Expires: ss.Expires, IdleExpires: ss.IdleExpires})
	return ss, err
}

// person is the Principal of an owner: every list for the site owner
// and site admins, else the lists whose owners include the address.
func (s *Service) person(ctx context.Context, a store.Account) (Principal, error) {
	lists, err := s.db.ListsOwnedBy(ctx, a.Email)
	if err != nil {
		return Principal{}, err
	}
	return Principal{Name: a.Email, Admin: a.Admin || a.Email == s.owner, Write: true, Lists: lists}, nil
}

// errSession is the one answer for a session that is unknown, expired or
// idle too long: the cookie is no good, log in again.
var errSession = fault.Errorf(fault.Unauthenticated, "not logged in, or the session has ended: log in again")

// Session returns the live session with id, its idle expiry renewed and
// its Principal as the lists stand now.
func (s *Service) Session(ctx context.Context, id string) (Session, error) {
	if id == "" {
		return Session{}, errSession
	}
	st, err := s.db.GetSession(ctx, id)
	if fault.CodeOf(err) == fault.NotFound {
		return Session{}, errSession
	}
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	if !now.Before(st.Expires) || !now.Before(st.IdleExpires) {
		return Session{}, errSession
	}
	a, err := s.db.Account(ctx, st.Email)
	if fault.CodeOf(err) == fault.NotFound {
		return Session{}, errSession
	}
	if err != nil {
		return Session{}, err
	}
	p, err := s.person(ctx, a)
	if err != nil {
		return Session{}, err
	}
	ss := Session{ID: id, CSRF: st.CSRF, Principal: p, Expires: st.Expires, IdleExpires: minTime(now.Add(s.o.Idle), st.Expires)}
	return ss, s.db.TouchSession(ctx, id, ss.IdleExpires)
}

// Logout ends the session with id; an unknown one is no error.
func (s *Service) Logout(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	return s.db.DeleteSession(ctx, id)
}

// SetPassword sets the console password of email, making its login when
// it has none; admin, when not nil, sets the site-admin flag.
func (s *Service) SetPassword(ctx context.Context, email, password string, admin *bool, ev store.Evidence) error {
	a, err := address.Parse(email)
	if err != nil {
		return err
	}
	switch n := utf8.RuneCountInString(password); {
	case n < MinPassword:
		return fault.Errorf(fault.Invalid, "the password is %d characters long: use at least %d", n, MinPassword)
	case len(password) > MaxPassword:
		return fault.Errorf(fault.Invalid, "the password is longer than %d bytes", MaxPassword)
	}
	return s.db.SetPassword(ctx, a.Key(), s.o.Params.hash(password), admin, ev)
}

// randomString is 32 random bytes in unpadded base64url (RFC 4648 §5):
// 256 bits, for session ids, CSRF tokens and token secrets.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
