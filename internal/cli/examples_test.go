package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryCommandHasExample walks the whole command tree: each command
// one can run shows at least one example in its --help, and the example runs
// mailer. cobra's own help and completion commands count too.
func TestEveryCommandHasExample(t *testing.T) {
	d, _, _ := testDeps(nil, "")
	root := NewRootCmd(d)
	n, seen := 0, map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() {
			return
		}
		n++
		seen[c.CommandPath()] = true
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no example in its --help", c.CommandPath())
			return
		}
		if !strings.Contains(c.Example, "mailer ") {
			t.Errorf("%s: the example %q does not run mailer", c.CommandPath(), c.Example)
		}
	}
	walk(root)
	if n < 30 {
		t.Errorf("walked %d runnable commands; the tree is larger", n)
	}
	for _, path := range []string{"mailer help", "mailer completion bash", "mailer sends cancel", "mailer lists create"} {
		if !seen[path] {
			t.Errorf("the walk missed %s", path)
		}
	}
}

// TestHelpShowsExample: the example is what --help prints, cobra's own
// commands included once mailer runs (Execute keeps their examples).
func TestHelpShowsExample(t *testing.T) {
	for _, args := range [][]string{{"sends", "pause", "--help"}, {"completion", "bash", "--help"}, {"help", "--help"}} {
		d, out, _ := testDeps(nil, "")
		if code := Run(context.Background(), d, args); code != 0 || !strings.Contains(out.String(), "Examples:\n  mailer ") &&
			!strings.Contains(out.String(), "Examples:\n  source <(mailer") {
			t.Errorf("mailer %s: exit %d, no example:\n%s", strings.Join(args, " "), code, out)
		}
	}
}
