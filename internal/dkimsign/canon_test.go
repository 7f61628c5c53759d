package dkimsign

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// msgauthBodyHash is go-msgauth's relaxed body hash of body: the reference
// this package's own canonicalizer is held to.
func msgauthBodyHash(t testing.TB, body []byte) string {
	_, k, _ := ed25519.GenerateKey(nil)
	var out bytes.Buffer
	msg := append([]byte("From: a@example.org\r\n\r\n"), body...)
	err := dkim.Sign(&out, bytes.NewReader(msg), &dkim.SignOptions{Domain: "example.org", Selector: "s", Signer: k,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From"}})
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`bh=([A-Za-z0-9+/=]+)`).FindSubmatch(bytes.ReplaceAll(out.Bytes(), []byte("\r\n "), nil))
	if m == nil {
		t.Fatalf("no bh= in %q", out.Bytes())
	}
	return string(m[1])
}

func ourBodyHash(body []byte, split int) string {
	b := newBodyHash()
	b.Write(body[:split])
	b = b.clone() // as a primed Body does
	b.Write(body[split:])
	return base64.StdEncoding.EncodeToString(b.sum())
}

// realMessages are messages others wrote: the bounces of many servers
// (sisimai's test set, see internal/bounce/testdata) and a rendered issue.
func realMessages(t testing.TB) [][]byte {
	files, _ := filepath.Glob("../bounce/testdata/sisimai/*.eml")
	files = append(files, "testdata/issue-06.eml")
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	if len(out) < 10 {
		t.Fatalf("only %d real messages found", len(out))
	}
	return out
}

func TestBodyHashMatchesGoMsgauth(t *testing.T) {
	cases := [][]byte{nil, []byte("\r\n"), []byte("\r\n\r\n"), []byte("a"), []byte("a  \t b \r\n\r\n \r\n"), []byte(" lead\r\n\ttab\r\n"),
		[]byte("bare\nlf\n\n"), []byte("lone\rcr\r\r\n"), []byte("x \r\n"), []byte("  \r\n  x"), []byte("a\r\n \r\n\r\nb  ")}
	for _, m := range realMessages(t) {
		_, body := split(m)
		cases = append(cases, body, bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")))
	}
	for i, body := range cases {
		want := msgauthBodyHash(t, body)
		for _, at := range []int{0, len(body) / 3, len(body)} {
			if got := ourBodyHash(body, at); got != want {
				t.Fatalf("case %d split at %d: %s, go-msgauth %s for %q", i, at, got, want, body)
			}
		}
	}
}

// FuzzBodyHash holds the canonicalizer to go-msgauth's on any body, split
// anywhere between the shared part and the rest.
func FuzzBodyHash(f *testing.F) {
	for _, m := range realMessages(f) {
		_, body := split(m)
		if len(body) > 4096 {
			body = body[:4096]
		}
		f.Add(body, uint16(len(body)/2))
	}
	f.Add([]byte("a \t\r\n\r\n"), uint16(2))
	f.Fuzz(func(t *testing.T, body []byte, at uint16) {
		split := int(at) % (len(body) + 1)
		if got, want := ourBodyHash(body, split), msgauthBodyHash(t, body); got != want {
			t.Fatalf("split at %d: %s, go-msgauth %s for %q", split, got, want, body)
		}
	})
}

func TestRelaxedHeader(t *testing.T) {
	for in, want := range map[string]string{
		"Subject:  Hello \t world  ":         "subject:Hello world\r\n",
		"List-Unsubscribe: <a>,\r\n <b>":     "list-unsubscribe:<a>, <b>\r\n",
		"FROM :a@example.org":                "from:a@example.org\r\n",
		"X-Empty:":                           "x-empty:\r\n",
		"DKIM-Signature: v=1;\r\n\tb=":       "dkim-signature:v=1; b=\r\n",
		"To: \"A  B\" <a@example.org>\r\n\t": "to:\"A B\" <a@example.org>\r\n",
	} {
		if got := string(relaxedHeader(nil, in)); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// TestIrregular checks the word-at-a-time search against the plain
// definition on lines of every length with trouble at every place.
func TestIrregular(t *testing.T) {
	plain := func(l []byte) int {
		for i, c := range l {
			if c == '\t' || c == '\r' || c == '\n' || c == ' ' && i > 0 && l[i-1] == ' ' {
				return i
			}
		}
		return len(l)
	}
	for n := 1; n <= 40; n++ {
		for i := range n {
			for _, bad := range []string{"\t", "\r", "\n", " ", "  ", "x"} {
				l := []byte(strings.Repeat("ab c", n)[:n])
				copy(l[i:], bad)
				if got, want := irregular(l), plain(l); got != want {
					t.Fatalf("%q: %d, want %d", l, got, want)
				}
			}
		}
	}
}

// BenchmarkBodyHashLongLine hashes a 64 KB line with a tab every few
// characters (a tab-separated export pasted into an issue): the fast path
// must not rescan the rest of the line after every byte.
func BenchmarkBodyHashLongLine(b *testing.B) {
	body := append(bytes.Repeat([]byte("cell\t"), 64<<10/5), "\r\n"...)
	for b.Loop() {
		h := newBodyHash()
		h.Write(body)
		h.sum()
	}
}
