// Package token makes and checks the signed tokens in unsubscribe links.
//
// A token names one membership (list ID and subscriber ID) and is signed
// with the config secret, so the web handler can verify it without a
// database lookup of the token itself, nobody can guess one, and no one can
// change it into someone else's.
//
// Format (version 1), before encoding:
//
//	byte 0      version (1): lets the format and the key derivation change
//	uvarint     list ID
//	uvarint     subscriber ID
//	10 bytes    HMAC-SHA256(key, bytes before the MAC), truncated
//
// where key = HMAC-SHA256(secret, "mailer unsubscribe v1"), so the secret
// itself is never used directly and other token kinds get other keys. The
// whole is encoded as unpadded lower-case base32 (RFC 4648 alphabet): it is
// case-insensitive, so it survives MTAs and people that change case, and
// needs no escaping in URLs or in the local part of
// LIST-unsubscribe+TOKEN@host. Typical length: 26 characters.
//
// An 80-bit MAC makes forgery a matter of 2^80 online guesses; the web
// handler rate-limits long before that. Tokens do not expire: an unsubscribe
// link in a years-old mail must still work (RFC 8058 asks for that).
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"hash"
	"strings"
	"sync"

	"mailer/internal/fault"
)

// Version is the format version written into new tokens.
const Version = 1

const macLen = 10

var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Signer makes and verifies tokens with one secret. It is safe for
// concurrent use.
type Signer struct {
	pool sync.Pool // of hash.Hash keyed for version 1
}

// NewSigner derives the signing key from secret.
func NewSigner(secret string) (*Signer, error) {
	if len(secret) < 16 {
		return nil, fault.Errorf(fault.Invalid, "secret too short to sign links (set secret in mailer.toml; mailer init generates one)")
	}
	kdf := hmac.New(sha256.New, []byte(secret))
	kdf.Write([]byte("mailer unsubscribe v1"))
	key := kdf.Sum(nil)
	s := &Signer{}
	s.pool.New = func() any { return hmac.New(sha256.New, key) }
	return s, nil
}

// Membership is what a token names.
type Membership struct {
	ListID       int64
	SubscriberID int64
}

// Make returns the token for m.
func (s *Signer) Make(m Membership) string {
	var buf [1 + 2*binary.MaxVarintLen64 + sha256.Size]byte
	b := s.appendSigned(buf[:0], m)
	return encoding.EncodeToString(b)
}

// AppendToken appends the token for m to dst without other allocations;
// the sender calls it once per message.
func (s *Signer) AppendToken(dst []byte, m Membership) []byte {
	var buf [1 + 2*binary.MaxVarintLen64 + sha256.Size]byte
	b := s.appendSigned(buf[:0], m)
	n := encoding.EncodedLen(len(b))
	dst = grow(dst, n)
	encoding.Encode(dst[len(dst):len(dst)+n], b)
	return dst[:len(dst)+n]
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}

func (s *Signer) appendSigned(b []byte, m Membership) []byte {
	b = append(b, Version)
	b = binary.AppendUvarint(b, uint64(m.ListID))
	b = binary.AppendUvarint(b, uint64(m.SubscriberID))
	mac := s.pool.Get().(hash.Hash)
	mac.Reset()
	mac.Write(b)
	var sum [sha256.Size]byte
	full := mac.Sum(sum[:0])
	s.pool.Put(mac)
	return append(b, full[:macLen]...)
}

// Verify checks tok and returns the membership it names. Any malformed,
// truncated, altered or foreign token is a fault.Invalid with one message,
// so the caller learns nothing about why.
func (s *Signer) Verify(tok string) (Membership, error) {
	bad := fault.Errorf(fault.Invalid, "this link is not valid: it may have been cut short or changed")
	if len(tok) == 0 || len(tok) > 64 {
		return Membership{}, bad
	}
	tok = strings.ToLower(tok)
	raw, err := encoding.DecodeString(tok)
	// The decoder skips line breaks and ignores unused trailing bits; only
	// the one canonical spelling of a token is accepted.
	if err != nil || len(raw) < 1+2+macLen || raw[0] != Version || encoding.EncodeToString(raw) != tok {
		return Membership{}, bad
	}
	body, mac := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	want := s.appendSigned(nil, decodeIDs(body))
	if !hmac.Equal(want[len(want)-macLen:], mac) || len(want)-macLen != len(body) {
		return Membership{}, bad
	}
	m := decodeIDs(body)
	if m.ListID <= 0 || m.SubscriberID <= 0 {
		return Membership{}, bad
	}
	return m, nil
}

// decodeIDs reads the two uvarints after the version byte; malformed input
// yields IDs whose re-encoding differs from body, which Verify catches.
func decodeIDs(body []byte) Membership {
	rest := body[1:]
	l, n := binary.Uvarint(rest)
	if n <= 0 {
		return Membership{}
	}
	sub, k := binary.Uvarint(rest[n:])
	if k <= 0 || l > 1<<62 || sub > 1<<62 {
		return Membership{}
	}
	return Membership{ListID: int64(l), SubscriberID: int64(sub)}
}
