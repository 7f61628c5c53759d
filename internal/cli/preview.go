package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"mailer/internal/fault"
	"mailer/internal/preview"
	"mailer/internal/sending"
)

// PreviewOptions are the inputs of `mailer preview`.
type PreviewOptions struct {
	Deps  *Deps
	Issue string
	List  string
	To    string
	Addr  string
	// Ready, when set, is told the URL once the server listens (for tests).
	Ready func(url string)
}

func newCmdPreview(d *Deps, runF func(context.Context, *PreviewOptions) error) *cobra.Command {
	opts := &PreviewOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "preview ISSUE",
		Short: "Show an issue's HTML and text versions side by side in a browser",
		Long: `preview serves the issue on a local address and prints the URL to open:
the HTML version beside the plain-text version, as the reader given with --to
would get them. Every reload renders the issue file again, so you can edit
and look. Stop it with Ctrl-C.`,
		Example: "  mailer preview issue-06\n  mailer preview issue-06 --addr 127.0.0.1:8025 --to alice@example.org",
		Args:    exactArgs(1, "one issue"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Issue = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return previewRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.List, "list", "", "list to render for (default: the issue's list:, else default_list)")
	f.StringVar(&opts.To, "to", "reader@example.org", "show the copy of this reader")
	f.StringVar(&opts.Addr, "addr", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
	return cmd
}

func previewRun(ctx context.Context, opts *PreviewOptions) error {
	d := opts.Deps
	open := func(ctx context.Context) (*sending.Job, func(), error) {
		job, err := openIssue(ctx, d, opts.Issue, opts.List)
		if err != nil {
			return nil, nil, err
		}
		return job.Job, job.close, nil
	}
	p, err := preview.New(ctx, open, opts.To)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fault.Wrap(fault.Invalid, err, "listen on %s", opts.Addr)
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(d.Out, "Previewing %s at %s (Ctrl-C to stop)\n", opts.Issue, url)
	if opts.Ready != nil {
		opts.Ready(url)
	}
	return p.Serve(ctx, ln)
}
