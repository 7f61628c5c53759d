package render

import "testing"

// BenchmarkRenderIssue06 renders issue-06 from Markdown to the prepared
// message: parse, HTML, sanitise, inline CSS, text, MIME. Aim: under 5 ms.
func BenchmarkRenderIssue06(b *testing.B) {
	r, iss := mustRenderer(b), mustIssue06(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(iss, bpfList); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPersonalise fills one recipient's copy of a rendered issue into
// a reused buffer, as the sender does per message. Aim: under 20 µs and a
// handful of allocations.
func BenchmarkPersonalise(b *testing.B) {
	rd, err := mustRenderer(b).Render(mustIssue06(b), bpfList)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 64<<10)
	b.SetBytes(int64(len(rd.HTML) + len(rd.Text)))
	b.ReportAllocs()
	for b.Loop() {
		buf, err = rd.Message.Personalise(buf[:0], alice)
		if err != nil {
			b.Fatal(err)
		}
	}
}
