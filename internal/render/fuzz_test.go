package render

import (
	"os"
	"strings"
	"testing"

	"mailer/internal/issue"
)

// FuzzRender feeds arbitrary front matter and Markdown through the whole
// renderer: it must never panic, and must return an issue or an error.
func FuzzRender(f *testing.F) {
	seed, _ := os.ReadFile("testdata/issue-06.md")
	f.Add(seed)
	f.Add([]byte("---\ntitle: x\n---\n- a\n  - b\n> q\n\n```\ncode\n```\n| a | b |\n|---|---|\n| 1 | 2 |\n"))
	f.Add([]byte("---\ntitle: x\n---\n<div><script>x</script></div>[a](</rel>) ![i](x \"t\") ***b*** ~~s~~ - [ ] t\n"))
	r := mustRenderer(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		iss, err := issue.Parse("f.md", data)
		if err != nil {
			return
		}
		rd, err := r.Render(iss, bpfList)
		if err != nil {
			if rd != nil {
				t.Fatal("both a result and an error")
			}
			return
		}
		raw, err := rd.Message.Personalise(nil, alice)
		if err != nil {
			t.Fatalf("personalise: %v", err)
		}
		if strings.Contains(string(raw), "MAILERSLOT") && !strings.Contains(string(iss.Body), "MAILERSLOT") {
			t.Fatal("slot left unfilled")
		}
		parseMessage(t, raw)
	})
}
