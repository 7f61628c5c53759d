package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"mailer/internal/fault"
	"mailer/internal/render"
	"mailer/internal/sending"
)

// RenderOptions are the inputs of `mailer render`.
type RenderOptions struct {
	Deps   *Deps
	Issue  string
	List   string
	Format string
	To     string
	Output string
	AsSent bool
}

func newCmdRender(d *Deps, runF func(context.Context, *RenderOptions) error) *cobra.Command {
	opts := &RenderOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "render ISSUE",
		Short: "Render an issue as HTML, plain text or a whole message",
		Long: `render turns ISSUE (a name such as issue-06 looked up in issues_dir, or a
path to a .md file) into what one reader would get: the HTML version, the
plain-text version, or the whole message (eml) with its headers, for the
address given with --to. A --to address that is not a member gets an
unsubscribe link that does not work.`,
		Example: `  mailer render issue-06 --format text | less
  mailer render issue-06 --format html -o /tmp/issue-06.html
  mailer render issue-06 --format eml --to alice@example.org > issue-06.eml`,
		Args: exactArgs(1, "one issue"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Issue = args[0]
			switch opts.Format {
			case "html", "text", "eml":
			default:
				return usageErrorf("--format must be html, text or eml, not %q", opts.Format)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return renderRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Format, "format", "html", "html, text or eml")
	f.StringVar(&opts.List, "list", "", "list to render for (default: the issue's list:, else default_list)")
	f.StringVar(&opts.To, "to", "reader@example.org", "render the copy of this reader")
	f.StringVarP(&opts.Output, "output", "o", "", "write to FILE instead of standard output")
	f.BoolVar(&opts.AsSent, "as-sent", false, "html: keep the issue's files at their published URLs instead of the files beside the issue")
	return cmd
}

func renderRun(ctx context.Context, opts *RenderOptions) error {
	d := opts.Deps
	job, err := openIssue(ctx, d, opts.Issue, opts.List)
	if err != nil {
		return err
	}
	defer job.close()
	rd, err := job.Render()
	if err != nil {
		return err
	}
	rcpt, member, err := job.RecipientFor(ctx, opts.To)
	if err != nil {
		return err
	}
	if !member {
		fmt.Fprintf(d.ErrOut, "note: %s is not a member of %s; the unsubscribe link in this copy does not work\n", rcpt.Address, job.List.Name)
	}
	local := assetNote(d, job, rd, opts)
	var out []byte
	switch opts.Format {
	case "eml":
		if out, err = rd.Message.Personalise(nil, rcpt); err != nil {
			return err
		}
	case "html", "text":
		h, t := rd.Personal(rcpt)
		out = []byte(t)
		if opts.Format == "html" {
			if local != "" {
				h = job.Renderer.ShowFrom(rd, h, local)
			}
			out = []byte(h)
		}
	}
	var w io.Writer = d.Out
	if opts.Output != "" {
		if err := os.WriteFile(opts.Output, out, 0o644); err != nil {
			return fault.Wrap(fault.Invalid, err, "write %s", opts.Output)
		}
		fmt.Fprintf(d.ErrOut, "Wrote %s (%d bytes)\n", opts.Output, len(out))
		return nil
	}
	_, err = w.Write(out)
	return err
}

// assetNote says where the issue's files will be published, or why send
// would refuse them. It returns the file:// URL of the issue's directory
// when the HTML should show the files from there: they are published only
// when the issue is sent, and a rendered page that shows broken images is
// no preview.
func assetNote(d *Deps, job *issueJob, rd *render.Rendered, opts *RenderOptions) string {
	if len(rd.Assets) == 0 {
		return ""
	}
	base := job.Renderer.AssetBase(job.List.Name, job.Issue.Slug)
	if _, err := job.Assets(rd.Assets); err != nil {
		fmt.Fprintf(d.ErrOut, "note: %v (send would refuse this issue)\n", err)
		return ""
	}
	inlineNote(d, job, rd)
	if opts.Format != "html" || opts.AsSent {
		fmt.Fprintf(d.ErrOut, "note: the issue's files (%s) are published at %s when it is sent\n", strings.Join(rd.Assets, ", "), base)
		return ""
	}
	local, err := render.FileBase(job.Issue.Source)
	if err != nil {
		return ""
	}
	fmt.Fprintf(d.ErrOut, "note: the issue's files (%s) are linked from %s in this copy; mail links to %s, where they are published when it is sent (--as-sent keeps those)\n",
		strings.Join(rd.Assets, ", "), local, base)
	return local
}

// inlineNote says which images travel in the message (images: inline) and
// which stay links, and why.
func inlineNote(d *Deps, job *issueJob, rd *render.Rendered) {
	if job.Issue.Images != "inline" {
		return
	}
	in, linked := rd.InlineSplit()
	if len(in) > 0 {
		fmt.Fprintf(d.ErrOut, "note: images in the message (images: inline): %s\n", strings.Join(in, ", "))
	}
	if len(linked) > 0 {
		fmt.Fprintf(d.ErrOut, "note: images linked, not in the message (inline takes PNG, JPEG and GIF up to %d KB each, %d KB in all): %s\n",
			sending.InlineMaxBytes>>10, sending.InlineMaxTotal>>10, strings.Join(linked, ", "))
	}
}
