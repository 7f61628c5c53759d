package dkimsign

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"testing"
)

// TestRSASignerMatchesGo: the RSA signer of this build (libcrypto with
// the tag, Go's without) makes byte for byte the signature Go's
// crypto/rsa makes, PKCS#1 v1.5 being deterministic. `make test` runs
// this package with and without the tag.
func TestRSASignerMatchesGo(t *testing.T) {
	for _, bits := range []int{1024, 2048, 3072} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		s := rsaSigner(k)
		if Libcrypto {
			if _, ok := s.(*rsa.PrivateKey); ok {
				t.Fatalf("%d bits: built with libcrypto but signing with Go", bits)
			}
		}
		for i := range 50 {
			digest := sha256.Sum256(fmt.Appendf(nil, "message %d of %d bits", i, bits))
			got, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest[:])
			if string(got) != string(want) {
				t.Fatalf("%d bits, digest %d: the signatures differ", bits, i)
			}
			if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, digest[:], got); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// BenchmarkRSASigner is one RSA-2048 signature by this build's signer.
func BenchmarkRSASigner(b *testing.B) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	s := rsaSigner(k)
	digest := sha256.Sum256([]byte("x"))
	for b.Loop() {
		if _, err := s.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}
