package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"mailer/internal/store"
)

func newCmdTokens(d *Deps) *cobra.Command {
	return group("tokens", "Bearer tokens of the HTTP API",
		"  mailer tokens create grafana --scope read\n  mailer tokens ls",
		newCmdTokensCreate(d, nil), newCmdTokensLs(d, nil), newCmdTokensRevoke(d, nil))
}

// TokensCreateOptions are the inputs of `mailer tokens create`.
type TokensCreateOptions struct {
	Deps  *Deps
	Name  string
	Scope string
	List  string
}

func newCmdTokensCreate(d *Deps, runF func(context.Context, *TokensCreateOptions) error) *cobra.Command {
	opts := &TokensCreateOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "create NAME --scope read|write [--list LIST]",
		Short: "Make an API token and print its secret, once",
		Long: `create makes a bearer token for /api/v1 and prints its secret on standard
output, this once: mailer keeps only its hash. A read token may look and
never change anything; a write token may change too. With --list it reaches
that list only; without, every list. Programs send it as
"Authorization: Bearer SECRET".`,
		Example: `  mailer tokens create grafana --scope read
  mailer tokens create signup-form --scope write --list bpf-updates`,
		Args: exactArgs(1, "one token name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if opts.Scope == "" {
				return usageErrorf("--scope is required: read or write")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return tokensCreateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Scope, "scope", "", "read (look only) or write (change too)")
	cmd.Flags().StringVar(&opts.List, "list", "", "the one list the token reaches (default: every list)")
	return cmd
}

func tokensCreateRun(ctx context.Context, opts *TokensCreateOptions) error {
	d := opts.Deps
	a, err := d.App(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	secret, err := a.Auth.CreateToken(ctx, opts.Name, opts.Scope, opts.List, d.adminEvidence(store.SourceAdmin, ""))
	if err != nil {
		return err
	}
	reach := "every list"
	if opts.List != "" {
		reach = "list " + opts.List
	}
	// The secret alone on standard output, so that a script can keep it
	// (SECRET=$(mailer tokens create ...)); the words on standard error.
	fmt.Fprintf(d.ErrOut, "Created token %s (%s, %s). Its secret:\n", opts.Name, opts.Scope, reach)
	fmt.Fprintln(d.Out, secret)
	fmt.Fprintln(d.ErrOut, "It will not be shown again: store it now (mailer keeps only its hash).")
	return nil
}

// TokensLsOptions are the inputs of `mailer tokens ls`.
type TokensLsOptions struct {
	Deps *Deps
	JSON bool
}

func newCmdTokensLs(d *Deps, runF func(context.Context, *TokensLsOptions) error) *cobra.Command {
	opts := &TokensLsOptions{Deps: d}
	cmd := &cobra.Command{
		Use:     "ls",
		Short:   "List the API tokens (never their secrets)",
		Example: "  mailer tokens ls\n  mailer tokens ls --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return tokensLsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func tokensLsRun(ctx context.Context, opts *TokensLsOptions) error {
	a, err := opts.Deps.App(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	tokens, err := a.Auth.Tokens(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		if tokens == nil {
			tokens = []store.APIToken{}
		}
		return writeJSON(opts.Deps.Out, tokens)
	}
	tw := newTable(opts.Deps)
	fmt.Fprintln(tw, "NAME\tSCOPE\tLIST\tCREATED\tLAST USED\tREVOKED")
	for _, t := range tokens {
		list := t.List
		if list == "" {
			list = "all"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Scope, list, when(t.CreatedAt), when(derefTime(t.LastUsed)), when(derefTime(t.RevokedAt)))
	}
	return tw.Flush()
}

// TokensRevokeOptions are the inputs of `mailer tokens revoke`.
type TokensRevokeOptions struct {
	Deps *Deps
	Name string
}

func newCmdTokensRevoke(d *Deps, runF func(context.Context, *TokensRevokeOptions) error) *cobra.Command {
	opts := &TokensRevokeOptions{Deps: d}
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "End an API token for good",
		Long: `revoke ends the token at once: its next request is refused (401). Its name
stays taken, so the audit log's entries by it keep meaning one token.`,
		Example: "  mailer tokens revoke grafana",
		Args:    exactArgs(1, "one token name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return tokensRevokeRun(cmd.Context(), opts)
		},
	}
}

func tokensRevokeRun(ctx context.Context, opts *TokensRevokeOptions) error {
	d := opts.Deps
	a, err := d.App(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Auth.RevokeToken(ctx, opts.Name, d.adminEvidence(store.SourceAdmin, "")); err != nil {
		return err
	}
	fmt.Fprintf(d.Out, "Revoked token %s\n", opts.Name)
	return nil
}
