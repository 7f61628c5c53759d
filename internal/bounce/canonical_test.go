package bounce

import (
	"os"
	"testing"
)

// One member, two spellings: an internationalised domain compares equal
// in its Unicode and its A-label (RFC 5890) form, and case does not count.
func TestCanonicalIDNA(t *testing.T) {
	for _, in := range []string{"neko@xn--cesupi09d.jp", "Neko@地域猫.jp", "NEKO@XN--CESUPI09D.JP"} {
		if got := Canonical(in); got != "neko@xn--cesupi09d.jp" {
			t.Errorf("Canonical(%q) = %q", in, got)
		}
	}
	f := Failure{Recipient: "neko@xn--cesupi09d.jp", Also: []string{"neko@example.jp"}}
	if !f.Names("neko@地域猫.jp") || !f.Names("Neko@Example.JP") || f.Names("inu@example.jp") {
		t.Errorf("Names: %+v", f)
	}
}

// A DSN giving Original- and Final-Recipient carries both, the original
// (the address mailed) first; For finds the failure by either.
func TestDSNCarriesBothForms(t *testing.T) {
	raw, err := os.ReadFile("testdata/bounceparser/postfix-orig.msg")
	if err != nil {
		t.Fatal(err)
	}
	r := Parse(raw)
	if len(r.Failures) != 1 {
		t.Fatalf("failures %+v", r.Failures)
	}
	f := r.Failures[0]
	if f.Recipient != "original@dest.example.com" || len(f.Also) != 1 || f.Also[0] != "final@dest.example.com" {
		t.Fatalf("forms %v", f.Forms())
	}
	if got := r.For("FINAL@dest.example.com"); got.Kind != Hard || got.Recipient != f.Recipient {
		t.Fatalf("For(final) = %+v", got)
	}
}

// Sendmail's "(expanded from: <...>)" names the address mailed after the
// one an alias led to; the failure puts the mailed one first.
func TestTextAliasCarriesBothForms(t *testing.T) {
	raw, err := os.ReadFile("testdata/bounceparser/warning-9.msg")
	if err != nil {
		t.Fatal(err)
	}
	r := Parse(raw)
	if len(r.Failures) != 1 || !r.Failures[0].Names("gail.windy@example.net") || !r.Failures[0].Names("gail.windy@example.com") {
		t.Fatalf("failures %+v", r.Failures)
	}
}
