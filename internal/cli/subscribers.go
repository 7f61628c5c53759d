package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"mailer/internal/address"
	"mailer/internal/fault"
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
}

func newCmdSubscribersAdd(d *Deps, runF func(context.Context, *SubscribersAddOptions) error) *cobra.Command {
	opts := &SubscribersAddOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "add LIST ADDRESS...",
		Short: "Add members, active at once",
		Long: `add makes each address an active member of LIST at once, without a
confirmation mail, and records in the audit log that you did. Use it only
for people who asked you directly. Addresses already active are reported and
left alone; people who had unsubscribed are re-subscribed.`,
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
	return cmd
}

func subscribersAddRun(ctx context.Context, opts *SubscribersAddOptions) error {
	return changeEach(ctx, opts.Deps, opts.List, opts.Addresses, opts.Name, store.Active, "added by an owner")
}

// SubscribersRmOptions are the inputs of `mailer subscribers rm`.
type SubscribersRmOptions struct {
	Deps      *Deps
	List      string
	Addresses []string
	Reason    string
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
	return cmd
}

func subscribersRmRun(ctx context.Context, opts *SubscribersRmOptions) error {
	return changeEach(ctx, opts.Deps, opts.List, opts.Addresses, "", store.Unsubscribed, opts.Reason)
}

// changeEach moves every address to status, one line of output each, and
// goes on past bad addresses so that one typo does not stop a batch.
func changeEach(ctx context.Context, d *Deps, list string, addrs []string, name string, to store.Status, reason string) error {
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.GetList(ctx, list); err != nil {
		return err
	}
	failed := 0
	for _, raw := range addrs {
		a, err := address.Parse(raw)
		if err == nil && name != "" {
			a.Name, err = address.ParseName(name)
		}
		if err != nil {
			fmt.Fprintf(d.ErrOut, "%v\n", err)
			failed++
			continue
		}
		if to == store.Unsubscribed {
			// Removing someone who never joined would invent a membership.
			if _, err := db.GetMember(ctx, list, a.String()); fault.CodeOf(err) == fault.NotFound {
				fmt.Fprintf(d.ErrOut, "%v\n", err)
				failed++
				continue
			}
		}
		ch, err := db.SetStatus(ctx, list, a, to, d.adminEvidence(store.SourceAdmin, reason))
		switch {
		case fault.CodeOf(err) == fault.Conflict:
			fmt.Fprintf(d.ErrOut, "%v\n", err)
			failed++
		case err != nil:
			return err // the database itself failed: stop
		default:
			fmt.Fprintln(d.Out, describeChange(list, ch))
		}
	}
	if failed > 0 {
		return fault.Errorf(fault.Invalid, "%d of %d addresses not changed", failed, len(addrs))
	}
	return nil
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
