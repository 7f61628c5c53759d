package token

import (
	"strings"
	"testing"
)

const secret = "0123456789abcdef0123456789abcdef"

func mustSigner(t testing.TB, s string) *Signer {
	sig, err := NewSigner(s)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestRoundTrip(t *testing.T) {
	s := mustSigner(t, secret)
	for _, m := range []Membership{{1, 1}, {3, 1234567}, {127, 128}, {1 << 40, 1 << 50}} {
		tok := s.Make(m)
		if got := string(s.AppendToken([]byte("x"), m)); got != "x"+tok {
			t.Fatalf("AppendToken %q, Make %q", got, tok)
		}
		got, err := s.Verify(tok)
		if err != nil || got != m {
			t.Fatalf("Verify(Make(%v)) = %v, %v", m, got, err)
		}
		if got, err := s.Verify(strings.ToUpper(tok)); err != nil || got != m {
			t.Fatalf("upper-cased token rejected: %v", err)
		}
	}
	if tok := s.Make(Membership{1, 2_000_000}); len(tok) > 26 {
		t.Fatalf("token %q longer than 26: LIST-unsubscribe+TOKEN would pass 64 octets", tok)
	}
}

func TestTamperedTokensAreRejected(t *testing.T) {
	s := mustSigner(t, secret)
	tok := s.Make(Membership{ListID: 1, SubscriberID: 42})
	other := mustSigner(t, secret+"x")
	cases := map[string]string{
		"empty":        "",
		"truncated":    tok[:len(tok)-2],
		"extended":     tok + "a",
		"garbage":      "not a token!",
		"other secret": other.Make(Membership{1, 42}),
		"too long":     strings.Repeat("a", 100),
	}
	// Every single-character change must fail.
	for i := range len(tok) {
		b := []byte(tok)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		cases["flip "+string(rune('0'+i%10))+tok[:i]] = string(b)
	}
	for name, bad := range cases {
		if m, err := s.Verify(bad); err == nil {
			t.Errorf("%s: %q accepted as %v", name, bad, m)
		}
	}
}

func TestShortSecretRefused(t *testing.T) {
	if _, err := NewSigner("short"); err == nil {
		t.Fatal("short secret accepted")
	}
}

func FuzzVerify(f *testing.F) {
	s := mustSigner(f, secret)
	f.Add(s.Make(Membership{1, 1}))
	f.Add("aaaaaaaaaaaaaaaaaaaaaaaaaa")
	f.Fuzz(func(t *testing.T, tok string) {
		m, err := s.Verify(tok)
		if err == nil && s.Make(m) != strings.ToLower(tok) {
			t.Fatalf("accepted %q naming %v, which signs as %q", tok, m, s.Make(m))
		}
	})
}

func BenchmarkAppendToken(b *testing.B) {
	s := mustSigner(b, secret)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := range b.N {
		buf = s.AppendToken(buf[:0], Membership{1, int64(i + 1)})
	}
}
