//go:build !libcrypto

package dkimsign

import (
	"crypto"
	"crypto/rsa"
)

// Libcrypto says RSA signatures are made by OpenSSL's libcrypto (build
// tag libcrypto); without it Go's crypto/rsa signs.
const Libcrypto = false

// rsaSigner signs with Go's crypto/rsa.
func rsaSigner(k *rsa.PrivateKey) crypto.Signer { return k }
