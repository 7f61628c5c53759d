package inbound_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"mailer/internal/inbound"
)

// worstShapes are the mails that cost a MIME reader most, each under the
// 1 MiB inbound.max_message_bytes: deep nesting, many parts, one huge
// line, many headers, a long base64 body.
func worstShapes() map[string][]byte {
	head := "From: Eve <eve@example.net>\r\nTo: majordomo@lists.example.org\r\nSubject: help\r\nMessage-ID: <w@example.net>\r\n"
	nested := func(depth int) []byte {
		var b strings.Builder
		b.WriteString(head)
		for i := range depth {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
		}
		b.WriteString("Content-Type: text/plain\r\n\r\nhelp\r\n")
		for i := depth - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "--b%d--\r\n", i)
		}
		return []byte(b.String())
	}
	many := func(n int) []byte {
		var b strings.Builder
		b.WriteString(head + "Content-Type: multipart/mixed; boundary=x\r\n\r\n")
		for range n {
			b.WriteString("--x\r\nContent-Type: text/plain\r\n\r\nhelp\r\n")
		}
		b.WriteString("--x--\r\n")
		return []byte(b.String())
	}
	var headers strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&headers, "X-H%d: v\r\n", i)
	}
	return map[string][]byte{
		"nested-10000": nested(10000),
		"nested-16":    nested(16),
		"parts-20000":  many(20000),
		"parts-500":    many(500),
		"one-line":     []byte(head + "\r\n" + strings.Repeat("help ", 200000) + "\r\n"),
		"headers":      []byte(head + headers.String() + "\r\nhelp\r\n"),
		"base64":       []byte(head + "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + strings.Repeat("aGVscA==\r\n", 90000)),
	}
}

// TestWorstShapesAreRefusedOrReadWithoutAnswering: the deep and wide ones
// are dropped as malformed, unanswered; none makes Handle fail.
func TestWorstShapesAreRefusedOrReadWithoutAnswering(t *testing.T) {
	e := newEnv(t)
	for name, raw := range worstShapes() {
		if len(raw) > 1<<20 {
			t.Fatalf("%s: %d bytes, over the limit it is meant to be under", name, len(raw))
		}
		res, err := e.h.Handle(context.Background(), inbound.Delivery{Recipient: "majordomo@" + host, Sender: "eve@example.net",
			SenderKnown: true, Raw: raw})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.HasPrefix(name, "nested-10000") || strings.HasPrefix(name, "parts-20000") {
			if res.Outcome != inbound.Dropped {
				t.Errorf("%s: %+v, want dropped", name, res)
			}
		}
	}
}

// BenchmarkWorstShapes: every worst shape handled in well under 100 ms.
func BenchmarkWorstShapes(b *testing.B) {
	for name, raw := range worstShapes() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				inbound.Parse(raw)
			}
		})
	}
}
