package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"mailer/internal/fault"
	"mailer/internal/store"
	"mailer/templates"
)

func newCmdLists(d *Deps) *cobra.Command {
	return group("lists", "Create, show, change and delete mailing lists",
		"  mailer lists create bpf-updates --title \"BPF updates\" --from \"Alex <alex@example.org>\"\n  mailer lists ls",
		newCmdListsCreate(d, nil), newCmdListsLs(d, nil), newCmdListsShow(d, nil),
		newCmdListsEdit(d, nil), newCmdListsRm(d, nil))
}

// ListSettingsFlags binds the flags that create and edit share; only flags
// the user actually gave become settings.
type ListSettingsFlags struct {
	Title, Description, From, Policy, SubjectPrefix string
	Owners                                          []string
	Welcome                                         bool
	Templates                                       string
}

func (f *ListSettingsFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.Title, "title", "", "title shown in mail and on web pages")
	fl.StringVar(&f.Description, "description", "", "one-paragraph description for `info` and the archive")
	fl.StringVar(&f.From, "from", "", `From of issues: "Name <address>" or an address`)
	fl.StringVar(&f.Policy, "policy", "", "subscription policy: confirm (double opt-in), open or closed")
	fl.StringVar(&f.SubjectPrefix, "subject-prefix", "", `text before every issue's Subject, e.g. "[bpf-updates] "`)
	fl.StringSliceVar(&f.Owners, "owner", nil, "owner address (repeat or comma-separate); on edit, replaces the owners")
	fl.StringVar(&f.Templates, "templates", "", `the list's own template directory, over templates_dir file by file ("" = the global look)`)
	fl.BoolVar(&f.Welcome, "welcome", true, "send a welcome mail to new members and a goodbye to those who leave by mail (--welcome=false: none)")
}

func (f *ListSettingsFlags) settings(cmd *cobra.Command) (store.ListSettings, error) {
	var s store.ListSettings
	changed := cmd.Flags().Changed
	if changed("templates") {
		dir, err := listTemplatesDir(cmd.Flags().Arg(0), f.Templates)
		if err != nil {
			return s, err
		}
		s.TemplatesDir = &dir
	}
	if changed("title") {
		s.Title = &f.Title
	}
	if changed("description") {
		s.Description = &f.Description
	}
	if changed("welcome") {
		s.Welcome = &f.Welcome
	}
	if changed("from") {
		s.From = &f.From
	}
	if changed("policy") {
		p := store.Policy(f.Policy)
		s.Policy = &p
	}
	if changed("subject-prefix") {
		s.SubjectPrefix = &f.SubjectPrefix
	}
	if changed("owner") {
		s.Owners = &f.Owners
	}
	return s, nil
}

// listTemplatesDir makes dir absolute (the commands that use it run from
// anywhere) and checks it parses, so a typo is refused now and not found
// by a reader.
func listTemplatesDir(list, dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fault.Wrap(fault.Invalid, err, "--templates %s", dir)
	}
	if err := templates.CheckList(list, abs); err != nil {
		return "", fault.Wrap(fault.Invalid, err, "--templates")
	}
	return abs, nil
}

// ListsCreateOptions are the inputs of `mailer lists create`.
type ListsCreateOptions struct {
	Deps     *Deps
	Name     string
	Settings store.ListSettings
	JSON     bool
}

func newCmdListsCreate(d *Deps, runF func(context.Context, *ListsCreateOptions) error) *cobra.Command {
	opts := &ListsCreateOptions{Deps: d}
	var flags ListSettingsFlags
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a list",
		Long: `create makes a new list. NAME becomes the local part of the list's
addresses (NAME@, NAME-request@ ...): lower-case letters, digits, - . _.
The policy defaults to confirm: new subscribers must confirm by mail.
Without --owner the list's owner is the site owner (the config's owner,
which mailer init --owner sets).`,
		Example: `  mailer lists create bpf-updates --title "BPF updates" \
      --from "Alexander <alex@example.org>" --owner alex@example.org`,
		Args: exactArgs(1, "one list name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			var err error
			if opts.Settings, err = flags.settings(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listsCreateRun(cmd.Context(), opts)
		},
	}
	flags.bind(cmd)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the list as JSON (as lists show --json)")
	return cmd
}

func listsCreateRun(ctx context.Context, opts *ListsCreateOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	siteOwner, err := defaultOwner(opts)
	if err != nil {
		return err
	}
	l, err := db.CreateList(ctx, opts.Name, opts.Settings)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.Deps.Out, l)
	}
	fmt.Fprintf(opts.Deps.Out, "Created list %s (%s, policy %s)\n", l.Name, l.Title, l.Policy)
	if siteOwner != "" {
		fmt.Fprintf(opts.Deps.Out, "Owner: %s, the site owner (config owner); lists edit %s --owner ADDRESS to change\n", siteOwner, l.Name)
	}
	return nil
}

// ListsLsOptions are the inputs of `mailer lists ls`.
type ListsLsOptions struct {
	Deps *Deps
	JSON bool
}

func newCmdListsLs(d *Deps, runF func(context.Context, *ListsLsOptions) error) *cobra.Command {
	opts := &ListsLsOptions{Deps: d}
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the lists with their member counts",
		Example: "  mailer lists ls\n  mailer lists ls --json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listsLsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func listsLsRun(ctx context.Context, opts *ListsLsOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	lists, err := db.Lists(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		if lists == nil {
			lists = []*store.List{}
		}
		return writeJSON(opts.Deps.Out, lists)
	}
	if len(lists) == 0 {
		fmt.Fprintln(opts.Deps.Out, "No lists yet. Create one with: mailer lists create NAME")
		return nil
	}
	tw := newTable(opts.Deps)
	fmt.Fprintln(tw, "NAME\tTITLE\tPOLICY\tACTIVE\tPENDING\tUNSUBSCRIBED\tBOUNCED")
	for _, l := range lists {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\n", l.Name, l.Title, l.Policy,
			l.Counts[store.Active], l.Counts[store.Pending], l.Counts[store.Unsubscribed], l.Counts[store.Bounced])
	}
	return tw.Flush()
}

// ListsShowOptions are the inputs of `mailer lists show`.
type ListsShowOptions struct {
	Deps *Deps
	Name string
	JSON bool
}

func newCmdListsShow(d *Deps, runF func(context.Context, *ListsShowOptions) error) *cobra.Command {
	opts := &ListsShowOptions{Deps: d}
	cmd := &cobra.Command{
		Use:     "show NAME",
		Short:   "Show a list's settings and counts",
		Example: "  mailer lists show bpf-updates",
		Args:    exactArgs(1, "one list name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listsShowRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func listsShowRun(ctx context.Context, opts *ListsShowOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := db.GetList(ctx, opts.Name)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.Deps.Out, l)
	}
	from := l.FromAddress
	if l.FromName != "" {
		from = fmt.Sprintf("%s <%s>", l.FromName, l.FromAddress)
	}
	tw := newTable(opts.Deps)
	for _, row := range [][2]string{
		{"Name", l.Name}, {"Title", l.Title}, {"Description", orDash(l.Description)}, {"From", orDash(from)},
		{"Policy", string(l.Policy)}, {"Subject prefix", orDash(strconv.Quote(l.SubjectPrefix))}, {"Owners", orDash(strings.Join(l.Owners, ", "))},
		{"Welcome", yesNo(l.Welcome)}, {"Templates", firstNonEmpty(l.TemplatesDir, "global")},
		{"Created", when(l.CreatedAt)}, {"Updated", when(l.UpdatedAt)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	var counts []string
	for _, s := range store.Statuses {
		counts = append(counts, fmt.Sprintf("%d %s", l.Counts[s], s))
	}
	fmt.Fprintf(tw, "Members:\t%s\n", strings.Join(counts, ", "))
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ListsEditOptions are the inputs of `mailer lists edit`.
type ListsEditOptions struct {
	Deps     *Deps
	Name     string
	Settings store.ListSettings
	JSON     bool
}

func newCmdListsEdit(d *Deps, runF func(context.Context, *ListsEditOptions) error) *cobra.Command {
	opts := &ListsEditOptions{Deps: d}
	var flags ListSettingsFlags
	cmd := &cobra.Command{
		Use:     "edit NAME",
		Short:   "Change a list's settings",
		Long:    "edit changes only the settings given as flags.",
		Example: "  mailer lists edit bpf-updates --policy open --owner alex@example.org,editor@example.org",
		Args:    exactArgs(1, "one list name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			var err error
			if opts.Settings, err = flags.settings(cmd); err != nil {
				return err
			}
			if opts.Settings == (store.ListSettings{}) {
				return usageErrorf("lists edit: give at least one setting to change (see --help)")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listsEditRun(cmd.Context(), opts)
		},
	}
	flags.bind(cmd)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the list as JSON (as lists show --json)")
	return cmd
}

func listsEditRun(ctx context.Context, opts *ListsEditOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := db.UpdateList(ctx, opts.Name, opts.Settings)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.Deps.Out, l)
	}
	fmt.Fprintf(opts.Deps.Out, "Updated list %s\n", l.Name)
	return nil
}

// ListsRmOptions are the inputs of `mailer lists rm`.
type ListsRmOptions struct {
	Deps  *Deps
	Name  string
	Force bool
}

func newCmdListsRm(d *Deps, runF func(context.Context, *ListsRmOptions) error) *cobra.Command {
	opts := &ListsRmOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "rm NAME",
		Short: "Delete a list",
		Long: `rm deletes a list and its memberships. A list with active or pending members
is kept unless --force is given. The audit log keeps a record of every
membership that was deleted.`,
		Example: "  mailer lists rm old-list\n  mailer lists rm bpf-updates --force",
		Args:    exactArgs(1, "one list name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listsRmRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "delete even when the list has members")
	return cmd
}

func listsRmRun(ctx context.Context, opts *ListsRmOptions) error {
	db, err := opts.Deps.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := db.GetList(ctx, opts.Name)
	if err != nil {
		return err
	}
	if err := db.DeleteList(ctx, l, opts.Force, opts.Deps.adminEvidence(store.SourceAdmin, "list deleted")); err != nil {
		return err
	}
	fmt.Fprintf(opts.Deps.Out, "Deleted list %s\n", opts.Name)
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
