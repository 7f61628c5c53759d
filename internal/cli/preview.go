package cli

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"mailer/internal/fault"
	"mailer/templates"
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

// previewPage is what the side-by-side page shows.
type previewPage struct {
	Subject, From, To, List, Source, Text string
}

func previewRun(ctx context.Context, opts *PreviewOptions) error {
	d := opts.Deps
	// Render once before listening, so that a broken issue or config is
	// reported at once rather than on the first page load.
	if _, err := previewRender(ctx, opts); err != nil {
		return err
	}
	page, err := template.ParseFS(templates.FS, "preview/preview.html")
	if err != nil {
		return fault.Wrap(fault.Internal, err, "preview template")
	}
	mux := http.NewServeMux()
	serve := func(w http.ResponseWriter, r *http.Request, write func(http.ResponseWriter, *rendered) error) {
		out, err := previewRender(r.Context(), opts)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data:")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err := write(w, out); err != nil {
			slog.Warn("preview", "err", err)
		}
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, func(w http.ResponseWriter, out *rendered) error {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			return page.Execute(w, out.page)
		})
	})
	mux.HandleFunc("GET /html", func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, func(w http.ResponseWriter, out *rendered) error {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, err := w.Write([]byte(out.html))
			return err
		})
	})
	mux.HandleFunc("GET /archive/{list}/{slug}/{path...}", func(w http.ResponseWriter, r *http.Request) {
		previewAsset(r.Context(), opts, w, r.PathValue("path"))
	})
	for path, body := range map[string]func(*rendered) []byte{
		"GET /text": func(o *rendered) []byte { return []byte(o.page.Text) },
		"GET /eml":  func(o *rendered) []byte { return o.eml },
	} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			serve(w, r, func(w http.ResponseWriter, out *rendered) error {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				_, err := w.Write(body(out))
				return err
			})
		})
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
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fault.Wrap(fault.Unavailable, err, "preview server")
	}
	return nil
}

type rendered struct {
	page previewPage
	html string
	eml  []byte
}

func previewRender(ctx context.Context, opts *PreviewOptions) (*rendered, error) {
	job, err := openIssue(ctx, opts.Deps, opts.Issue, opts.List)
	if err != nil {
		return nil, err
	}
	defer job.close()
	rd, err := job.Render()
	if err != nil {
		return nil, err
	}
	rcpt, _, err := job.RecipientFor(ctx, opts.To)
	if err != nil {
		return nil, err
	}
	h, t := rd.Personal(rcpt)
	eml, err := rd.Message.Personalise(nil, rcpt)
	if err != nil {
		return nil, err
	}
	from := job.List.FromAddress
	if job.List.FromName != "" {
		from = job.List.FromName + " <" + from + ">"
	}
	// The issue's own files are published when it is sent; until then the
	// preview serves them from beside the issue.
	base := job.Renderer.AssetBase(job.List.Name, job.Issue.Slug)
	local := "/archive/" + job.List.Name + "/" + job.Issue.Slug + "/"
	return &rendered{
		page: previewPage{Subject: rd.Subject, From: from, To: rcpt.Address, List: job.List.Name, Source: job.Issue.Source, Text: t},
		html: rd.ShowInlined(strings.ReplaceAll(h, base, local), local), eml: eml,
	}, nil
}

// previewAsset serves one of the issue's own files from beside it.
func previewAsset(ctx context.Context, opts *PreviewOptions, w http.ResponseWriter, p string) {
	job, err := openIssue(ctx, opts.Deps, opts.Issue, opts.List)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer job.close()
	assets, err := job.Assets([]string{p})
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", assets[0].ContentType)
	w.Write(assets[0].Data)
}
