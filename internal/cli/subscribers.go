package cli

import (
	"context"
	"fmt"
	"time"

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
	return changeEach(ctx, opts.Deps, change{list: opts.List, addrs: opts.Addresses, name: opts.Name, to: store.Active,
		reason: "added by an owner", force: opts.Force, json: opts.JSON})
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
	return changeEach(ctx, opts.Deps, change{list: opts.List, addrs: opts.Addresses, to: store.Unsubscribed, reason: opts.Reason, json: opts.JSON})
}

// change is a batch of membership changes asked for on the command line.
type change struct {
	list   string
	addrs  []string
	name   string
	to     store.Status
	reason string
	force  bool // re-add people who unsubscribed
	json   bool
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

// changeEach moves every address to status, one line of output each (or
// one JSON array), and goes on past bad addresses so that one typo does
// not stop a batch.
func changeEach(ctx context.Context, d *Deps, c change) error {
	db, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := db.GetList(ctx, c.list)
	if err != nil {
		return err
	}
	failed := 0
	results := []changeResult{}
	for _, raw := range c.addrs {
		r, err := changeOne(ctx, d, db, l, c, raw)
		if err != nil {
			return err // the database itself failed: stop
		}
		results = append(results, r)
		switch {
		case r.Error != "":
			failed++
			if !c.json {
				fmt.Fprintln(d.ErrOut, r.Error)
			}
		case !c.json:
			fmt.Fprintln(d.Out, describeChange(c.list, store.Change{Address: r.Address, From: r.From, To: r.To}))
		}
	}
	if c.json {
		if err := writeJSON(d.Out, results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fault.Errorf(fault.Invalid, "%d of %d addresses not changed", failed, len(c.addrs))
	}
	return nil
}

// changeOne applies c to one address. Only store failures are returned;
// everything else is the result's Error.
func changeOne(ctx context.Context, d *Deps, db *store.DB, l *store.List, c change, raw string) (changeResult, error) {
	res := changeResult{Input: raw, To: c.to}
	a, err := address.Parse(raw)
	if err == nil && c.name != "" {
		a.Name, err = address.ParseName(c.name)
	}
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	res.Address = a.String()
	cur, err := db.GetMember(ctx, l, a.String())
	switch {
	case fault.CodeOf(err) == fault.NotFound && c.to == store.Unsubscribed:
		// Removing someone who never joined would invent a membership.
		res.Error = err.Error()
		return res, nil
	case err != nil && fault.CodeOf(err) != fault.NotFound:
		return res, err
	}
	reason := c.reason
	if err == nil && cur.Status == store.Unsubscribed && c.to == store.Active {
		res.From = cur.Status
		if !c.force {
			res.Error = fmt.Sprintf("%s unsubscribed from %s on %s: they withdrew their consent. Add --force only if they asked you to subscribe them again.",
				cur.Address, l.Name, when(leftAt(cur)))
			return res, nil
		}
		reason += fmt.Sprintf("; re-added with --force although they had unsubscribed on %s (consent withdrawn then)", when(leftAt(cur)))
	}
	ch, err := db.SetStatus(ctx, l, a, c.to, d.adminEvidence(store.SourceAdmin, reason))
	if fault.CodeOf(err) == fault.Conflict {
		res.Error = err.Error()
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.Address, res.From, res.Changed = ch.Address, ch.From, ch.Changed()
	return res, nil
}

// leftAt is when a member unsubscribed (older rows only know when they
// last changed).
func leftAt(m *store.Member) time.Time {
	if m.UnsubscribedAt != nil {
		return *m.UnsubscribedAt
	}
	return m.UpdatedAt
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
