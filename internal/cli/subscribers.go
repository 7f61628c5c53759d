package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"mailer/internal/fault"
	"mailer/internal/optin"
	"mailer/internal/store"
)

func newCmdSubscribers(d *Deps) *cobra.Command {
	return group("subscribers", "Add, remove, list, import and export a list's members",
		"  mailer subscribers add bpf-updates alice@example.org \"Bob <bob@example.org>\"\n  mailer subscribers ls bpf-updates --status active",
		newCmdSubscribersAdd(d, nil), newCmdSubscribersRm(d, nil), newCmdSubscribersLs(d, nil),
		newCmdSubscribersImport(d, nil), newCmdSubscribersExport(d, nil), newCmdSubscribersReactivate(d, nil))
}

// SubscribersAddOptions are the inputs of `mailer subscribers add`.
type SubscribersAddOptions struct {
	Deps      *Deps
	List      string
	Addresses []string
	Name      string
	Force     bool
	JSON      bool
}

func newCmdSubscribersAdd(d *Deps, runF func(context.Context, *SubscribersAddOptions) error) *cobra.Command {
	opts := &SubscribersAddOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "add LIST ADDRESS...",
		Short: "Add members, active at once",
		Long: `add makes each address an active member of LIST at once, without a
confirmation mail, and records in the audit log that you did. Use it only
for people who asked you directly. Addresses already active are reported and
left alone. Someone who unsubscribed withdrew their consent: adding them
again needs --force, and the audit log says so.`,
		Example: `  mailer subscribers add bpf-updates alice@example.org "Bob Jones <bob@example.org>"
  mailer subscribers add bpf-updates carol@example.org --name "Carol"`,
		Args: minArgs(2, "a list name and at least one address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.List, opts.Addresses = args[0], args[1:]
			if opts.Name != "" && len(opts.Addresses) > 1 {
				return usageErrorf("--name goes with a single address")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return subscribersAddRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "display name (with one address)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "add people who had unsubscribed (they asked you again)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print what happened to each address as JSON")
	return cmd
}

func subscribersAddRun(ctx context.Context, opts *SubscribersAddOptions) error {
	return changeEach(ctx, opts.Deps, opts.List, len(opts.Addresses), opts.JSON,
		func(ctx context.Context, owners *optin.Owners, l *store.List) ([]optin.OwnerChange, error) {
			return owners.Add(ctx, l, opts.Addresses, opts.Name, opts.Force, opts.Deps.adminEvidence(store.SourceAdmin, "added by an owner"))
		})
}

// SubscribersRmOptions are the inputs of `mailer subscribers rm`.
type SubscribersRmOptions struct {
	Deps      *Deps
	List      string
	Addresses []string
	Reason    string
	JSON      bool
}

func newCmdSubscribersRm(d *Deps, runF func(context.Context, *SubscribersRmOptions) error) *cobra.Command {
	opts := &SubscribersRmOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "rm LIST ADDRESS...",
		Short: "Unsubscribe members",
		Long: `rm unsubscribes each address from LIST. The membership is kept, marked
unsubscribed, so that the audit trail survives and a later import does not
add the person back.`,
		Example: `  mailer subscribers rm bpf-updates alice@example.org --reason "asked by phone"`,
		Args:    minArgs(2, "a list name and at least one address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.List, opts.Addresses = args[0], args[1:]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return subscribersRmRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "removed by an owner", "why, for the audit log")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print what happened to each address as JSON")
	return cmd
}

func subscribersRmRun(ctx context.Context, opts *SubscribersRmOptions) error {
	return changeEach(ctx, opts.Deps, opts.List, len(opts.Addresses), opts.JSON,
		func(ctx context.Context, owners *optin.Owners, l *store.List) ([]optin.OwnerChange, error) {
			return owners.Remove(ctx, l, opts.Addresses, opts.Deps.adminEvidence(store.SourceAdmin, opts.Reason))
		})
}

// changeResult is what became of one address, for --json.
type changeResult struct {
	Input   string       `json:"input"`
	Address string       `json:"address,omitempty"`
	From    store.Status `json:"from"`
	To      store.Status `json:"to"`
	Changed bool         `json:"changed"`
	Error   string       `json:"error,omitempty"`
}

// changeEach runs an owner's batch (package optin holds the rules) and
// prints one line per address (or one JSON array); the workflow goes on
// past bad addresses so that one typo does not stop a batch.
func changeEach(ctx context.Context, d *Deps, list string, n int, asJSON bool,
	run func(context.Context, *optin.Owners, *store.List) ([]optin.OwnerChange, error)) error {
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := db.GetList(ctx, list)
	if err != nil {
		return err
	}
	changes, runErr := run(ctx, optin.NewOwners(db), l)
	failed := 0
	results := []changeResult{}
	for _, c := range changes {
		r := changeResult{Input: c.Input, Address: c.Address, From: c.From, To: c.To, Changed: c.Changed, Error: changeError(c.Err)}
		results = append(results, r)
		switch {
		case r.Error != "":
			failed++
			if !asJSON {
				fmt.Fprintln(d.ErrOut, r.Error)
			}
		case !asJSON:
			fmt.Fprintln(d.Out, describeChange(list, store.Change{Address: r.Address, From: r.From, To: r.To}))
		}
	}
	if runErr != nil {
		return runErr // the database itself failed: stop
	}
	if asJSON {
		if err := writeJSON(d.Out, results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fault.Errorf(fault.Invalid, "%d of %d addresses not changed", failed, n)
	}
	return nil
}

// changeError is the line for an address the workflow did not change.
func changeError(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, optin.ErrConsentWithdrawn):
		return err.Error() + ". Add --force only if they asked you to subscribe them again."
	}
	return err.Error()
}

func describeChange(list string, ch store.Change) string {
	switch {
	case !ch.Changed() && ch.To == store.Active:
		return fmt.Sprintf("%s is already subscribed to %s", ch.Address, list)
	case !ch.Changed() && ch.To == store.Unsubscribed:
		return fmt.Sprintf("%s is already unsubscribed from %s", ch.Address, list)
	case ch.To == store.Active && ch.From != "":
		return fmt.Sprintf("Subscribed %s to %s (was %s)", ch.Address, list, ch.From)
	case ch.To == store.Active:
		return fmt.Sprintf("Subscribed %s to %s", ch.Address, list)
	case ch.To == store.Unsubscribed:
		return fmt.Sprintf("Unsubscribed %s from %s", ch.Address, list)
	}
	return fmt.Sprintf("%s on %s: %s -> %s", ch.Address, list, ch.From, ch.To)
}
