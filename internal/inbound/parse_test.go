package inbound

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mailer/internal/fault"
)

func mustParseFile(t testing.TB, name string) *Message {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// TestCommandMails reads real-looking command mails and checks the lines
// taken as commands.
func TestCommandMails(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"plain.eml", []string{"subscribe bpf-updates"}},
		{"crlf.eml", []string{"subscribe bpf-updates", "which"}},
		{"subject-only.eml", []string{"subscribe bpf-updates"}},
		{"greeting.eml", []string{"Hi there,", "subscribe bpf-updates", "Thanks!", "Alice"}},
		{"signature.eml", []string{"subscribe bpf-updates"}},
		{"quoted.eml", []string{"info bpf-updates", "On Monday Majordomo wrote:"}},
		{"qp.eml", []string{"subscribe bpf-updates", "info bpf=updates"}},
		{"base64.eml", []string{"lists", "help"}},
		{"latin1.eml", []string{"Grüße,", "subscribe bpf-updates"}},
		{"multipart.eml", []string{"subscribe bpf-updates", "info bpf-updates"}},
		{"html-only.eml", []string{"Hello", "subscribe bpf-updates", "end"}},
		{"multipart-mixed.eml", []string{"unsubscribe bpf-updates"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := mustParseFile(t, tt.file)
			got := CommandLines(m.Text, m.Subject)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("command lines %q, want %q\ntext: %q", got, tt.want, m.Text)
			}
			if m.From.String() != "alice@example.org" {
				t.Fatalf("From %q", m.From)
			}
		})
	}
}

func TestParseHeaders(t *testing.T) {
	m := mustParseFile(t, "latin1.eml")
	if m.Subject != "Grüße" || m.MessageID != "<latin1@example.org>" || m.References != "<latin1@example.org>" {
		t.Fatalf("subject %q id %q refs %q", m.Subject, m.MessageID, m.References)
	}
	if _, err := Parse([]byte("this is not a mail\nat all\n")); fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("malformed: %v", err)
	}
	if _, err := Parse([]byte("From: not an address\n\nbody\n")); fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("bad From: %v", err)
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line, def             string
		verb, list, addr, tok string
		problem               string
	}{
		{line: "subscribe bpf-updates", verb: "subscribe", list: "bpf-updates"},
		{line: "SUBSCRIBE BPF-Updates Bob@Example.org", verb: "subscribe", list: "bpf-updates", addr: "Bob@Example.org"},
		{line: "join bpf-updates", verb: "subscribe", list: "bpf-updates"},
		{line: "signoff bpf-updates", verb: "unsubscribe", list: "bpf-updates"},
		{line: "leave bpf-updates", verb: "unsubscribe", list: "bpf-updates"},
		{line: "subscribe", def: "news", verb: "subscribe", list: "news"},
		{line: "subscribe bob@example.org", def: "news", verb: "subscribe", list: "news", addr: "bob@example.org"},
		{line: "subscribe", verb: "subscribe", problem: "needs-list"},
		{line: "confirm ABCDEF", verb: "confirm", tok: "abcdef"},
		{line: "confirm", verb: "confirm", problem: "needs-token"},
		{line: "which", verb: "which"},
		{line: "which me@example.org", verb: "which", addr: "me@example.org"},
		{line: "who bpf-updates", verb: "who", list: "bpf-updates"},
		{line: "info", def: "news", verb: "info", list: "news"},
		{line: "info", verb: "info", problem: "needs-list"},
		{line: "lists", verb: "lists"},
		{line: "help", verb: "help"},
		{line: "End", verb: "end"},
		{line: "quit", verb: "end"},
		{line: "Hello,", problem: "unknown"},
		{line: "subscribe: bpf-updates", verb: "subscribe", list: "bpf-updates"},
	}
	for _, tt := range tests {
		c := ParseCommand(tt.line, tt.def)
		if c.Verb != tt.verb || c.List != tt.list || c.Address != tt.addr || c.Token != tt.tok || c.Problem != tt.problem {
			t.Errorf("ParseCommand(%q, %q) = %+v", tt.line, tt.def, c)
		}
	}
}

// FuzzCommands: the command reader never panics and never takes a quoted
// line or anything after a signature.
func FuzzCommands(f *testing.F) {
	for _, s := range []string{"subscribe x\n-- \nunsubscribe y", "> quoted\nhelp", "confirm", "\x00\xff subscribe"} {
		f.Add(s, "subject", "news")
	}
	f.Fuzz(func(t *testing.T, text, subject, def string) {
		lines := CommandLines(text, subject)
		for _, l := range lines {
			if strings.HasPrefix(l, ">") || strings.TrimSpace(l) == "" {
				t.Fatalf("took %q as a command line", l)
			}
			c := ParseCommand(l, def)
			if c.Verb == "" && c.Problem == "" {
				t.Fatalf("%q: neither a verb nor a problem", l)
			}
		}
	})
}
