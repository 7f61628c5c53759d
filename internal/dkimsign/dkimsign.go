// Package dkimsign signs outgoing mail with DKIM (RFC 6376), RSA or
// Ed25519 (RFC 8463), relaxed/relaxed, through github.com/emersion/go-msgauth.
package dkimsign

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/emersion/go-msgauth/dkim"

	"mailer/internal/fault"
)

// SignedHeaders are the header fields a signature covers, when present: the
// ones a receiver shows or acts on, including the unsubscribe headers that
// RFC 8058 requires to be signed.
var SignedHeaders = []string{"From", "Subject", "Date", "Message-ID", "To", "Cc", "Reply-To", "In-Reply-To", "References",
	"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Archive", "List-Help", "List-Post",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Auto-Submitted"}

// Signer signs messages for one domain and selector.
type Signer struct {
	Domain   string
	Selector string
	key      crypto.Signer
}

// Load reads a PEM private key (PKCS#8, or PKCS#1 for RSA).
func Load(domain, selector, path string) (*Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "DKIM key %s: %v", path, err)
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
		return nil, fault.Wrap(fault.Invalid, err, "DKIM key %s: %v", path, err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fault.Errorf(fault.Invalid, "DKIM key %s: not a signing key", path)
	}
	switch k := s.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 1024 {
			return nil, fault.Errorf(fault.Invalid, "DKIM key %s: RSA key of %d bits is too weak (use 2048)", path, k.N.BitLen())
		}
	case ed25519.PrivateKey:
	default:
		return nil, fault.Errorf(fault.Invalid, "DKIM key %s: want an RSA or Ed25519 key", path)
	}
	return &Signer{Domain: domain, Selector: selector, key: s}, nil
}

// Sign returns msg with a DKIM-Signature header field in front.
func (s *Signer) Sign(msg []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(msg) + 512)
	err := dkim.Sign(&out, bytes.NewReader(msg), &dkim.SignOptions{
		Domain: s.Domain, Selector: s.Selector, Signer: s.key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: present(msg),
	})
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "DKIM sign: %v", err)
	}
	return out.Bytes(), nil
}

// present picks the SignedHeaders that msg has: signing an absent field
// would make a later-added one break the signature, which is what we want
// only for fields we set.
func present(msg []byte) []string {
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(msg)
	}
	head := bytes.ToLower(append([]byte("\r\n"), msg[:end]...))
	var keys []string
	for _, h := range SignedHeaders {
		if bytes.Contains(head, []byte("\r\n"+lower(h)+":")) {
			keys = append(keys, h)
		}
	}
	return keys
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

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

// TXTRecord is the record for this signer's key.
func (s *Signer) TXTRecord() (string, error) { return TXTRecord(s.key) }

// RecordName is where the record goes: SELECTOR._domainkey.DOMAIN.
func (s *Signer) RecordName() string { return s.Selector + "._domainkey." + s.Domain }
