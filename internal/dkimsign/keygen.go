package dkimsign

import (
	"os"

	"mailer/internal/fault"
)

// RecordName is where the TXT record of selector's key is published for
// domain: SELECTOR._domainkey.DOMAIN (RFC 6376 section 3.6.2.1).
func RecordName(selector, domain string) string { return selector + "._domainkey." + domain }

// NewKeyFile makes a new key ("rsa" or "ed25519", see Generate), writes it
// to path as PKCS#8 PEM that only its owner can read, and returns the TXT
// record value that publishes it. It never overwrites a file: an existing
// key's public half may be published already, and mail signed with it
// would stop verifying.
func NewKeyFile(path, algorithm string) (txt string, err error) {
	if _, err := os.Stat(path); err == nil {
		return "", fault.Errorf(fault.Conflict, "%s exists; not overwritten (its public key may be published)", path)
	}
	k, err := Generate(algorithm)
	if err != nil {
		return "", err
	}
	pemBytes, err := PEM(k)
	if err != nil {
		return "", fault.Wrap(fault.Internal, err, "encode key")
	}
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		return "", fault.Wrap(fault.Invalid, err, "write %s", path)
	}
	rec, err := TXTRecord(k)
	if err != nil {
		return "", fault.Coded(fault.Internal, err)
	}
	return rec, nil
}
