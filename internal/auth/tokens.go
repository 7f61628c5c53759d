package auth

import (
	"context"
	"strings"
	"time"

	"mailer/internal/fault"
	"mailer/internal/store"
)

// Scopes of API tokens: a read token may look, never change.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// SecretPrefix starts every token's secret, so that a secret pasted
// where it should not be is recognised (by a person, by a secret
// scanner).
const SecretPrefix = "mlr_"

// touchEvery spares the database a write per API request: a token's
// last use is noted to the minute.
const touchEvery = time.Minute

// maxTokenName keeps names short enough for the audit log's operator.
const maxTokenName = 64

// CreateToken makes an API token and returns its secret, which is shown
// this once and kept only as its hash. list "" is every list.
func (s *Service) CreateToken(ctx context.Context, name, scope, list string, ev store.Evidence) (string, error) {
	if err := checkTokenName(name); err != nil {
		return "", err
	}
	if scope != ScopeRead && scope != ScopeWrite {
		return "", fault.Errorf(fault.Invalid, "scope %q: use read or write", scope)
	}
	if list != "" {
		l, err := s.db.GetList(ctx, list)
		if err != nil {
			return "", err
		}
		list = l.Name
	}
	secret := SecretPrefix + randomString()
	if err := s.db.CreateAPIToken(ctx, store.APIToken{Name: name, Scope: scope, List: list}, secret, ev); err != nil {
		return "", err
	}
	return secret, nil
}

func checkTokenName(name string) error {
	if name == "" || len(name) > maxTokenName {
		return fault.Errorf(fault.Invalid, "a token's name is 1 to %d characters", maxTokenName)
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_.", r)) {
			return fault.Errorf(fault.Invalid, "token name %q: use letters, digits, - _ and .", name)
		}
	}
	return nil
}

// errToken is the answer to a secret that is no token's: it never says
// the secret.
var errToken = fault.Errorf(fault.Unauthenticated, "the bearer token is not valid")

// Bearer returns the Principal of an API token's secret, and notes its
// use; fault.Unauthenticated for a wrong, unknown or revoked one.
func (s *Service) Bearer(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, SecretPrefix) || len(secret) > 200 {
		return Principal{}, errToken
	}
	t, err := s.db.APITokenBySecret(ctx, secret)
	if fault.CodeOf(err) == fault.NotFound {
		return Principal{}, errToken
	}
	if err != nil {
		return Principal{}, err
	}
	if t.RevokedAt != nil {
		return Principal{}, fault.Errorf(fault.Unauthenticated, "token %s was revoked", t.Name)
	}
	if now := s.now(); t.LastUsed == nil || now.Sub(*t.LastUsed) >= touchEvery {
		if err := s.db.TouchAPIToken(ctx, t.Name, now); err != nil {
			return Principal{}, err
		}
	}
	p := Principal{Name: t.Name, Token: t.Name, Write: t.Scope == ScopeWrite, Admin: t.List == ""}
	if t.List != "" {
		p.Lists = []string{t.List}
	}
	return p, nil
}

// Tokens returns every token, revoked ones too, never a secret.
func (s *Service) Tokens(ctx context.Context) ([]store.APIToken, error) {
	return s.db.APITokens(ctx)
}

// RevokeToken ends a token for good.
func (s *Service) RevokeToken(ctx context.Context, name string, ev store.Evidence) error {
	return s.db.RevokeAPIToken(ctx, name, ev)
}
