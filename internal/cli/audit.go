package cli

import (
	"context"
	"fmt"
	"mailer/internal/store"
	"strings"

	"github.com/spf13/cobra"
)

// AuditOptions are the inputs of `mailer audit`.
type AuditOptions struct {
	Deps    *Deps
	List    string
	Address string
	JSON    bool
}

func newCmdAudit(d *Deps, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit log: membership changes and owners' actions",
		Long: `audit prints the append-only record of membership changes: when, what,
how (email, web, import, admin) and the evidence (message-id, IP address,
operator). It is how a list owner proves that a reader consented. Owners'
actions are there too, with who did them from the CLI, the console or the
API: sends paused, resumed, cancelled and scheduled, hooks added, enabled
and removed, logins and tokens made or revoked.`,
		Example: "  mailer audit --address alice@example.org\n  mailer audit --list bpf-updates --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return auditRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.List, "list", "", "only this list")
	cmd.Flags().StringVar(&opts.Address, "address", "", "only this address")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func auditRun(ctx context.Context, opts *AuditOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := optionalList(ctx, db, opts.List)
	if err != nil {
		return err
	}
	entries, err := db.AuditLog(ctx, l, opts.Address)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.Deps.Out, entries)
	}
	tw := newTable(opts.Deps)
	fmt.Fprintln(tw, "WHEN\tLIST\tADDRESS\tACTION\tSOURCE\tEVIDENCE")
	for _, e := range entries {
		var ev []string
		for _, kv := range [][2]string{{"message-id", e.MessageID}, {"ip", e.IP}, {"operator", e.Operator}, {"reason", e.Reason}} {
			if kv[1] != "" {
				ev = append(ev, kv[0]+"="+kv[1])
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format("2006-01-02 15:04:05"), e.List, e.Address, e.Action, e.Source, strings.Join(ev, " "))
	}
	return tw.Flush()
}

// optionalList resolves a --list flag: nil, for every list, when it is empty.
func optionalList(ctx context.Context, db *store.DB, name string) (*store.List, error) {
	if name == "" {
		return nil, nil
	}
	return db.GetList(ctx, name)
}
