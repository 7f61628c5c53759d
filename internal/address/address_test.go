package address

import (
	"strings"
	"testing"

	"mailer/internal/fault"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    string // normalised bare address
		name    string
		wantErr string // substring of the error; "" for success
	}{
		{in: "alice@example.org", want: "alice@example.org"},
		{in: "  alice@example.org  ", want: "alice@example.org"},
		{in: "Alice.Smith@EXAMPLE.Org", want: "Alice.Smith@example.org"},
		{in: "Alice <alice@example.org>", want: "alice@example.org", name: "Alice"},
		{in: `"Smith, Alice" <alice@example.org>`, want: "alice@example.org", name: "Smith, Alice"},
		{in: "=?UTF-8?q?J=C3=B6rg?= <jorg@example.de>", want: "jorg@example.de", name: "Jörg"},
		{in: "bob+news@mail.example.co.uk", want: "bob+news@mail.example.co.uk"},
		{in: `"odd local"@example.org`, want: `"odd local"@example.org`},
		{in: "user@bücher.example", want: "user@bücher.example"},
		{in: "", wantErr: "empty address"},
		{in: "alice", wantErr: "missing @domain"},
		{in: "alice@", wantErr: "invalid address"},
		{in: "@example.org", wantErr: "invalid address"},
		{in: "alice@localhost", wantErr: "has no dot"},
		{in: "alice@[192.0.2.1]", wantErr: "address literals"},
		{in: "alice@exa_mple.org", wantErr: "contains"},
		{in: "alice@-example.org", wantErr: "hyphen"},
		{in: "alice@example..org", wantErr: "invalid address"},
		{in: "alice@example.org\r\nBcc: victim@example.com", wantErr: "line break"},
		{in: "alice@example.org\nX: y", wantErr: "line break"},
		{in: "ali\x00ce@example.org", wantErr: "control character"},
		{in: "alice smith@example.org", wantErr: "contains spaces"},
		{in: "Alice <alice@example.org", wantErr: "unbalanced"},
		{in: strings.Repeat("a", 65) + "@example.org", wantErr: "local part longer than 64"},
		{in: "a@" + strings.Repeat("b", 64) + ".org", wantErr: "longer than 63"},
		{in: strings.Repeat("a", 60) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "org", wantErr: "longer than 254"},
		{in: "\xff@example.org", wantErr: "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %v, want error containing %q", tt.in, got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
				}
				if fault.CodeOf(err) != fault.Invalid {
					t.Fatalf("error code = %q, want invalid", fault.CodeOf(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got.String() != tt.want || got.Name != tt.name {
				t.Fatalf("Parse(%q) = %q name %q, want %q name %q", tt.in, got.String(), got.Name, tt.want, tt.name)
			}
		})
	}
}

func TestKeyIsCaseInsensitive(t *testing.T) {
	a, _ := Parse("Alice@Example.ORG")
	b, _ := Parse("alice@example.org")
	if a.Key() != b.Key() {
		t.Fatalf("keys differ: %q vs %q", a.Key(), b.Key())
	}
	if a.String() != "Alice@example.org" {
		t.Fatalf("local part not kept: %q", a.String())
	}
}

func TestParseName(t *testing.T) {
	if _, err := ParseName("Eve\r\nBcc: x@example.org"); err == nil {
		t.Fatal("name with CRLF accepted")
	}
	if n, err := ParseName("  Jörg Müller "); err != nil || n != "Jörg Müller" {
		t.Fatalf("ParseName = %q, %v", n, err)
	}
	if _, err := ParseName(strings.Repeat("x", MaxNameLen+1)); err == nil {
		t.Fatal("overlong name accepted")
	}
}

// FuzzParse checks that any string either fails cleanly or yields an address
// that is safe to put in a header and parses back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"alice@example.org", "A <a@b.c>", `"x y"@e.org`, "a@[1.2.3.4]", "=?utf-8?b?w6k=?= <e@x.io>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			if fault.CodeOf(err) != fault.Invalid {
				t.Fatalf("error with code %q: %v", fault.CodeOf(err), err)
			}
			return
		}
		out := a.String()
		if strings.ContainsAny(out, "\r\n") || strings.ContainsAny(a.Name, "\r\n") {
			t.Fatalf("line break survived in %q / %q", out, a.Name)
		}
		if len(out) > MaxAddressLen {
			t.Fatalf("over-long address accepted: %d", len(out))
		}
		again, err := Parse(out)
		if err != nil || again.Key() != a.Key() {
			t.Fatalf("normalised %q does not parse back: %v", out, err)
		}
	})
}
