package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"mailer/internal/address"
	"mailer/internal/auth"
	"mailer/internal/fault"
	"mailer/internal/store"
)

func newCmdOwners(d *Deps) *cobra.Command {
	return group("owners", "Console logins of the lists' owners",
		"  mailer owners password alex@example.org\n  mailer owners ls",
		newCmdOwnersPassword(d, nil), newCmdOwnersLs(d, nil), newCmdOwnersRm(d, nil))
}

// OwnersPasswordOptions are the inputs of `mailer owners password`.
type OwnersPasswordOptions struct {
	Deps  *Deps
	Email string
	Stdin bool
	Admin *bool // nil: as it was (no admin for a new login)
	// readPassword asks the terminal for a password without echo; nil:
	// the process's terminal. Tests put their own.
	readPassword func(prompt string) (string, error)
}

func newCmdOwnersPassword(d *Deps, runF func(context.Context, *OwnersPasswordOptions) error) *cobra.Command {
	opts := &OwnersPasswordOptions{Deps: d}
	var admin bool
	cmd := &cobra.Command{
		Use:   "password EMAIL",
		Short: "Set an owner's console password",
		Long: `password sets the password EMAIL logs in to the console with, making the
login if there is none. It asks twice on the terminal, without echo; with
--password-stdin it reads one line from standard input instead (for scripts).
Passwords are at least 12 characters and are kept only as argon2id hashes.
An owner sees the lists that name them (lists create/edit --owner); the
site owner (config owner) and owners made --admin see every list.`,
		Example: `  mailer owners password alex@example.org
  mailer owners password root@example.org --admin
  pass show mailer/alex | mailer owners password alex@example.org --password-stdin`,
		Args: exactArgs(1, "one address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Email = args[0]
			if cmd.Flags().Changed("admin") {
				opts.Admin = &admin
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return ownersPasswordRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Stdin, "password-stdin", false, "read the password from the first line of standard input")
	cmd.Flags().BoolVar(&admin, "admin", false, "a site admin, who sees every list (--admin=false: no longer)")
	return cmd
}

func ownersPasswordRun(ctx context.Context, opts *OwnersPasswordOptions) error {
	d := opts.Deps
	password, err := readNewPassword(opts)
	if err != nil {
		return err
	}
	a, err := d.App(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Auth.SetPassword(ctx, opts.Email, password, opts.Admin, d.adminEvidence(store.SourceAdmin, "")); err != nil {
		return err
	}
	fmt.Fprintf(d.Out, "Set the console password of %s\n", opts.Email)
	warnNoLists(ctx, d, a.Auth, opts.Email)
	return nil
}

// warnNoLists tells of a login that would see nothing: no site admin,
// owner of no list.
func warnNoLists(ctx context.Context, d *Deps, svc *auth.Service, email string) {
	owners, err := svc.Owners(ctx)
	if err != nil {
		return
	}
	for _, o := range owners {
		if o.Address == address.Key(email) && !o.Admin && len(o.Lists) == 0 {
			fmt.Fprintf(d.ErrOut, "Note: %s owns no list yet and will see none (lists edit LIST --owner %s, or --admin)\n", email, email)
		}
	}
}

// readNewPassword reads the password: one line of standard input, or
// twice from the terminal, the two compared.
func readNewPassword(opts *OwnersPasswordOptions) (string, error) {
	d := opts.Deps
	if opts.Stdin {
		line, err := bufio.NewReader(d.In).ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return "", fault.Errorf(fault.Invalid, "--password-stdin: no password on standard input")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	read := opts.readPassword
	if read == nil {
		if !d.InteractiveIn() {
			return "", usageErrorf("standard input is no terminal to ask the password on: use --password-stdin")
		}
		read = terminalPassword(d)
	}
	first, err := read("New password for " + opts.Email + ": ")
	if err != nil {
		return "", err
	}
	if n := len([]rune(first)); n < auth.MinPassword {
		return "", fault.Errorf(fault.Invalid, "the password is %d characters long: use at least %d", n, auth.MinPassword)
	}
	again, err := read("The same again: ")
	if err != nil {
		return "", err
	}
	if again != first {
		return "", fault.Errorf(fault.Invalid, "the two passwords differ: nothing changed")
	}
	return first, nil
}

// terminalPassword reads a line from the terminal without echo, the
// prompt on standard error.
func terminalPassword(d *Deps) func(string) (string, error) {
	return func(prompt string) (string, error) {
		fmt.Fprint(d.ErrOut, prompt)
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(d.ErrOut)
		if err != nil {
			return "", fault.Wrap(fault.Invalid, err, "read the password")
		}
		return string(b), nil
	}
}

// OwnersLsOptions are the inputs of `mailer owners ls`.
type OwnersLsOptions struct {
	Deps *Deps
	JSON bool
}

func newCmdOwnersLs(d *Deps, runF func(context.Context, *OwnersLsOptions) error) *cobra.Command {
	opts := &OwnersLsOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the owners: logins, lists owned, last login",
		Long: `ls shows everyone who may use the console: the site owner, every list's
owners and every login, with whether they are site admins, the lists they
own, and when they last logged in ("no password": they cannot log in yet).`,
		Example: "  mailer owners ls\n  mailer owners ls --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return ownersLsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func ownersLsRun(ctx context.Context, opts *OwnersLsOptions) error {
	a, err := opts.Deps.App(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	owners, err := a.Auth.Owners(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.Deps.Out, owners)
	}
	tw := newTable(opts.Deps)
	fmt.Fprintln(tw, "ADDRESS\tADMIN\tLISTS\tLAST LOGIN")
	for _, o := range owners {
		last := when(derefTime(o.LastLogin))
		if !o.Login {
			last = "no password"
		}
		lists := strings.Join(o.Lists, ",")
		if o.Admin {
			lists = "all"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Address, map[bool]string{true: "yes", false: "no"}[o.Admin], orDash(lists), last)
	}
	return tw.Flush()
}

// OwnersRmOptions are the inputs of `mailer owners rm`.
type OwnersRmOptions struct {
	Deps  *Deps
	Email string
}

func newCmdOwnersRm(d *Deps, runF func(context.Context, *OwnersRmOptions) error) *cobra.Command {
	opts := &OwnersRmOptions{Deps: d}
	return &cobra.Command{
		Use:   "rm EMAIL",
		Short: "Remove an owner's console login and end their sessions",
		Long: `rm removes the console login of EMAIL and logs them out everywhere. The
lists that name them as owner still do (lists edit --owner changes that).`,
		Example: "  mailer owners rm alex@example.org",
		Args:    exactArgs(1, "one address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Email = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return ownersRmRun(cmd.Context(), opts)
		},
	}
}

func ownersRmRun(ctx context.Context, opts *OwnersRmOptions) error {
	d := opts.Deps
	a, err := d.App(ctx, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Auth.RemoveOwner(ctx, opts.Email, d.adminEvidence(store.SourceAdmin, "")); err != nil {
		return err
	}
	fmt.Fprintf(d.Out, "Removed the console login of %s and ended its sessions\n", opts.Email)
	return nil
}
