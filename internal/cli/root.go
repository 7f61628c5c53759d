package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"mailer/internal/fault"
)

// Exit codes. Where an MTA runs mailer it reads sysexits(3) codes, so
// temporary trouble is 75 and the MTA queues the mail and tries again.
const (
	ExitOK       = 0
	ExitError    = 1  // the request was wrong: bad input, unknown list, conflict
	ExitUsage    = 2  // the command line was wrong
	ExitSoftware = 70 // EX_SOFTWARE: a bug
	ExitTempFail = 75 // EX_TEMPFAIL: try again later
	ExitNoPerm   = 77 // EX_NOPERM: not allowed, or who is asking is not proved
)

// usageError marks a command-line mistake (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// NewRootCmd builds the whole command tree.
func NewRootCmd(d *Deps) *cobra.Command {
	root := &cobra.Command{
		Use:   "mailer",
		Short: "Newsletter and mailing-list delivery",
		Long: `mailer keeps mailing lists and their subscribers in SQLite, renders each
newsletter issue as HTML and plain text, and sends it over SMTP at a set rate,
resumably, DKIM-signed. Readers subscribe and leave by mail (majordomo style,
with double opt-in) or on its web pages, which also carry the archive.`,
		Example: `  mailer init ./news
  mailer --config ./news/mailer.toml lists create bpf-updates --title "BPF updates"
  mailer subscribers add bpf-updates alice@example.org`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       d.Version,
	}
	root.SetIn(d.In)
	root.SetOut(d.Out)
	root.SetErr(d.ErrOut)
	root.PersistentFlags().StringVarP(&d.configFlag, "config", "c", "",
		"config file (default $MAILER_CONFIG or ./mailer.toml)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })

	root.AddCommand(
		newCmdInit(d, nil),
		newCmdConfig(d, nil),
		newCmdVersion(d, nil),
		newCmdLists(d),
		newCmdSubscribers(d),
		newCmdAudit(d, nil),
		newCmdRender(d, nil),
		newCmdPreview(d, nil),
		newCmdSend(d, nil),
		newCmdStatus(d, nil),
		newCmdReceive(d, nil),
		newCmdServe(d, nil),
		newCmdDKIM(d),
		newCmdBounces(d),
		newCmdDoctor(d, nil),
		newCmdSends(d),
		newCmdHooks(d),
		newCmdDB(d),
		newCmdMigrate(d, nil),
		newCmdOwners(d),
		newCmdTokens(d),
	)
	addCompletion(root, d)
	addBuiltinExamples(root)
	return root
}

// Run executes the command line args and returns the process exit code.
func Run(ctx context.Context, d *Deps, args []string) (code int) {
	defer func() {
		// A bug must not show a person a Go stack trace or, worse, leave an
		// MTA with an exit code it reads as "delivered".
		if r := recover(); r != nil {
			fault.Recovered(r)
			fmt.Fprintf(d.ErrOut, "mailer: internal error: %v\n", r)
			code = ExitSoftware
		}
	}()
	defer startProfile(d)()
	root := NewRootCmd(d)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code = ExitCode(err)
	fmt.Fprintf(d.ErrOut, "mailer: %v\n", err)
	if code == ExitUsage {
		fmt.Fprintln(d.ErrOut, "Run 'mailer --help' for usage.")
	}
	return code
}

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	var ue *usageError
	if code, ok := exitCodeOf(err); ok {
		return code
	}
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue), isCobraUsage(err):
		return ExitUsage
	}
	switch fault.CodeOf(err) {
	case fault.Unavailable:
		return ExitTempFail
	case fault.Internal:
		return ExitSoftware
	case fault.Unauthenticated, fault.Forbidden:
		return ExitNoPerm
	}
	return ExitError
}

// isCobraUsage recognises the usage errors cobra makes itself.
func isCobraUsage(err error) bool {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return false
	}
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "unknown shorthand flag") || strings.Contains(msg, "arg(s)")
}

// exactArgs, rangeArgs and minArgs are cobra's argument checks with usage
// errors that name the arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return rangeArgs(n, n, names)
}

func rangeArgs(min, max int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || (max >= 0 && len(args) > max) {
			return usageErrorf("%s takes %s, got %d argument(s)", cmd.CommandPath(), names, len(args))
		}
		return nil
	}
}

func minArgs(n int, names string) cobra.PositionalArgs { return rangeArgs(n, -1, names) }

// group is a command that only holds subcommands; run alone, it shows help
// and, with an unknown subcommand, fails as a usage error.
func group(use, short, example string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Example: example,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(subs...)
	return cmd
}
