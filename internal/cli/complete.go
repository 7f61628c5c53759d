package cli

import (
	"context"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"mailer/internal/store"
)

// addCompletion teaches the shell completion (cobra's `mailer completion
// bash|zsh|fish`) the names it cannot guess: lists from the database,
// issues from issues_dir, and the fixed values of some flags.
func addCompletion(root *cobra.Command, d *Deps) {
	lists := func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveDefault // a file, for import
		}
		return listNames(cmd.Context(), d), cobra.ShellCompDirectiveNoFileComp
	}
	issues := func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return issueNames(d), cobra.ShellCompDirectiveNoFileComp
	}
	fixed := func(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return values, cobra.ShellCompDirectiveNoFileComp
		}
	}
	statuses := make([]string, len(store.Statuses))
	for i, s := range store.Statuses {
		statuses[i] = string(s)
	}
	for _, path := range []string{"subscribers add", "subscribers rm", "subscribers ls", "subscribers import", "subscribers export",
		"subscribers reactivate", "lists show", "lists edit", "lists rm", "bounces ls"} {
		if c := find(root, path); c != nil {
			c.ValidArgsFunction = lists
		}
	}
	for _, path := range []string{"send", "render", "preview", "status"} {
		if c := find(root, path); c != nil {
			c.ValidArgsFunction = issues
		}
	}
	flagValues := []struct {
		cmd, flag string
		f         func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)
	}{
		{"subscribers ls", "status", fixed(statuses...)}, {"subscribers export", "status", fixed(statuses...)},
		{"send", "list", lists}, {"render", "list", lists}, {"audit", "list", lists},
		{"render", "format", fixed("html", "text", "eml")}, {"dkim keygen", "algorithm", fixed("rsa", "ed25519")},
		{"lists create", "policy", fixed("confirm", "open", "closed")}, {"lists edit", "policy", fixed("confirm", "open", "closed")},
		{"tokens create", "list", lists}, {"tokens create", "scope", fixed("read", "write")},
	}
	for _, fv := range flagValues {
		if c := find(root, fv.cmd); c != nil && c.Flags().Lookup(fv.flag) != nil {
			c.RegisterFlagCompletionFunc(fv.flag, func(cmd *cobra.Command, _ []string, s string) ([]string, cobra.ShellCompDirective) {
				return fv.f(cmd, nil, s)
			})
		}
	}
}

// find returns the command at path ("subscribers add"), or nil (the
// completion test finds a path that names none).
func find(root *cobra.Command, path string) *cobra.Command {
	c, _, err := root.Find(strings.Fields(path))
	if err != nil || c == root {
		return nil
	}
	return c
}

func listNames(ctx context.Context, d *Deps) []string {
	if ctx == nil {
		ctx = context.Background()
	}
	db, err := d.OpenStore(ctx)
	if err != nil {
		return nil
	}
	defer db.Close()
	ls, err := db.Lists(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range ls {
		out = append(out, l.Name+"\t"+l.Title)
	}
	return out
}

func issueNames(d *Deps) []string {
	cfg, err := d.Config()
	if err != nil {
		return nil
	}
	entries, err := os.ReadDir(cfg.Resolve(cfg.IssuesDir))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".md"); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	return out
}
