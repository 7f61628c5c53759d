// Package dkimsign signs outgoing mail with DKIM (RFC 6376), RSA or
// Ed25519 (RFC 8463) or both, relaxed/relaxed. It signs by itself rather
// than through go-msgauth, which the tests verify against, so that a body
// shared by a whole send is canonicalised and hashed once.
package dkimsign

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"time"

	"mailer/internal/fault"
)

// SignedHeaders are the header fields a signature covers, when present: the
// ones a receiver shows or acts on, including the unsubscribe headers that
// RFC 8058 requires to be signed.
var SignedHeaders = []string{"From", "Subject", "Date", "Message-ID", "To", "Cc", "Reply-To", "In-Reply-To", "References",
	"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Archive", "List-Help", "List-Post",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Auto-Submitted",
	// Gmail trusts a Feedback-ID only under a DKIM signature (its Feedback Loop rules).
	"Feedback-ID"}

// Signer signs messages for one domain with one key, or two (dual
// signing: Ed25519 for receivers that know it, RSA for the others, which
// ignore a signature with an algorithm they do not know).
type Signer struct {
	Domain string
	keys   []key
	// Now dates the signatures (t=); nil means time.Now.
	Now func() time.Time
}

const ed25519SHA256 = "ed25519-sha256"

// key is one signing key and the selector that publishes it.
type key struct {
	selector  string
	algorithm string // rsa-sha256 or ed25519-sha256
	signer    crypto.Signer
}

// Load reads a PEM private key (PKCS#8, or PKCS#1 for RSA).
func Load(domain, selector, path string) (*Signer, error) {
	s := &Signer{Domain: domain}
	if err := s.AddKey(selector, path); err != nil {
		return nil, err
	}
	return s, nil
}

// AddKey adds a second key: every message then carries a signature by each.
func (s *Signer) AddKey(selector, path string) error {
	k, err := loadKey(path)
	if err != nil {
		return err
	}
	alg := "rsa-sha256"
	if _, ok := k.(ed25519.PrivateKey); ok {
		alg = ed25519SHA256
	}
	s.keys = append(s.keys, key{selector: selector, algorithm: alg, signer: k})
	return nil
}

func loadKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "DKIM key %s", path)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fault.Errorf(fault.Invalid, "DKIM key %s: no PEM block", path)
	}
	var key any
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "DKIM key %s", path)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 1024 {
			return nil, fault.Errorf(fault.Invalid, "DKIM key %s: RSA key of %d bits is too weak (use 2048)", path, k.N.BitLen())
		}
		return rsaSigner(k), nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fault.Errorf(fault.Invalid, "DKIM key %s: want an RSA or Ed25519 key", path)
}

func (s *Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Generate makes a new key: "ed25519" or "rsa" (2048 bits).
func Generate(algorithm string) (crypto.Signer, error) {
	switch algorithm {
	case "ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case "rsa", "":
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fault.Errorf(fault.Invalid, "unknown key algorithm %q (want rsa or ed25519)", algorithm)
}

// PEM encodes a key as PKCS#8.
func PEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// TXTRecord is the DNS TXT record value that publishes k's public key.
func TXTRecord(k crypto.Signer) (string, error) {
	switch pub := k.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", err
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub), nil
	}
	return "", fmt.Errorf("unsupported key type %T", k.Public())
}

// Records are the DNS names and TXT values that publish every key.
func (s *Signer) Records() (map[string]string, error) {
	out := map[string]string{}
	for _, k := range s.keys {
		v, err := TXTRecord(k.signer)
		if err != nil {
			return nil, err
		}
		out[RecordName(k.selector, s.Domain)] = v
	}
	return out, nil
}
