package cli

import (
	"strings"
	"testing"
)

// TestCompletion asks cobra's completion as the shell scripts do.
func TestCompletion(t *testing.T) {
	e, _ := newSendEnv(t, 0)
	e.mustRun("lists", "create", "news", "--title", "The News")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"subscribers", "add", ""}, []string{"bpf-updates", "news\tThe News"}},
		{[]string{"lists", "show", "n"}, []string{"news"}},
		{[]string{"send", ""}, []string{"issue-06"}},
		{[]string{"subscribers", "ls", "news", "--status", ""}, []string{"active", "unsubscribed", "bounced"}},
		{[]string{"render", "issue-06", "--format", ""}, []string{"html", "text", "eml"}},
		{[]string{"dkim", "keygen", "--algorithm", ""}, []string{"rsa", "ed25519"}},
		{[]string{"send", "issue-06", "--list", ""}, []string{"news"}},
		{[]string{"tokens", "create", "grafana", "--list", ""}, []string{"news"}},
		{[]string{"tokens", "create", "grafana", "--scope", ""}, []string{"read", "write"}},
	} {
		out := e.mustRun(append([]string{"__complete"}, c.args...)...)
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("mailer %s: %q not offered:\n%s", strings.Join(c.args, " "), w, out)
			}
		}
	}
	if out := e.mustRun("completion", "bash"); !strings.Contains(out, "__start_mailer") {
		t.Errorf("no bash completion script:\n%.200s", out)
	}
}
