package address

import "testing"

// TestOnePersonOneKey: the forms one address takes when it comes from
// spreadsheets, web pages and other systems all normalise to one key.
func TestOnePersonOneKey(t *testing.T) {
	want := "zoë@exämple.org"
	for _, in := range []string{
		"zoë@exämple.org",
		"\uFEFFzoë@exämple.org",       // UTF-8 BOM of a CSV file's first cell
		"zo\u00EB@ex\u00E4mple.org",   // precomposed
		"zoe\u0308@exa\u0308mple.org", // decomposed (NFD, as macOS file names)
		" zoë@EXÄMPLE.org ",           // spaces, upper-case domain
		"zo\u200Bë@exämple.org",       // zero-width space pasted from a page
		"zoë@xn--exmple-cua.org",      // the domain as an A-label
		"Zoë Doe <zoë@exämple.org>",   // with a display name
		"zoë@exämple.org\u2060",       // word joiner
	} {
		a, err := Parse(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if a.String() != want || a.Key() != Key(want) {
			t.Errorf("%q -> %q (key %q), want %q", in, a.String(), a.Key(), want)
		}
	}
}

func TestForSMTP(t *testing.T) {
	for _, c := range []struct {
		in, out string
		utf8    bool
	}{
		{"alice@example.org", "alice@example.org", false},
		{"alice@exämple.org", "alice@xn--exmple-cua.org", false},
		{"zoë@exämple.org", "zoë@xn--exmple-cua.org", true},
		{"zoë@example.org", "zoë@example.org", true},
		{"用户@例え.テスト", "用户@xn--r8jz45g.xn--zckzah", true}, // IANA's IDN test TLD (RFC 2606 era examples)
	} {
		out, u, err := ForSMTP(c.in)
		if err != nil || out != c.out || u != c.utf8 {
			t.Errorf("%s: %q %v %v, want %q %v", c.in, out, u, err, c.out, c.utf8)
		}
	}
	for _, bad := range []string{"a@xn--zz.org", "a@ex\u00E4\u200Dmple..org"} {
		if a, err := Parse(bad); err == nil {
			t.Errorf("%q accepted as %q", bad, a)
		}
	}
}
