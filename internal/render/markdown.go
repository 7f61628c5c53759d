// Package render turns an issue into what readers get: an HTML version for
// mail clients, a plain-text version for terminals and phones, and the whole
// MIME message, prepared once and personalised per recipient cheaply.
package render

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// newMarkdown returns a CommonMark + GFM converter. Raw HTML is let through
// goldmark and sanitised afterwards by sanitizer(), so that safe markup an
// editor wrote (a <sup>, a <kbd>) survives and scripts do not.
func newMarkdown(base *url.URL) goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(absoluteLinks{base}, 100))),
		goldmark.WithRendererOptions(
			html.WithUnsafe(),
			renderer.WithNodeRenderers(util.Prioritized(checkboxRenderer{}, 100)),
		),
	)
}

// parse parses Markdown into an AST; both versions render from it.
func parse(md goldmark.Markdown, src []byte) ast.Node {
	doc, _ := parseIssue(md, src, "")
	return doc
}

// Parser context keys: where an issue's own files are published, and the
// files its links and images name.
var (
	assetBaseKey = parser.NewContextKey()
	assetsKey    = parser.NewContextKey()
)

// issueFiles are the paths of an issue's own files its links and images
// name, in order of appearance, each once; images lists those shown as
// images.
type issueFiles struct{ all, images []string }

// parseIssue parses an issue whose relative links and images (img/a.png,
// files/talk.pdf: files next to its Markdown) point to assetBase, where
// they are published, and returns the paths they name.
func parseIssue(md goldmark.Markdown, src []byte, assetBase string) (ast.Node, issueFiles) {
	pc := parser.NewContext()
	pc.Set(assetBaseKey, assetBase)
	doc := md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	files, _ := pc.Get(assetsKey).(issueFiles)
	return doc, files
}

// pointImages makes the images of the issue's own files (published under
// base) whose path is a key of cids point to the message part "cid:VALUE"
// instead.
func pointImages(doc ast.Node, base string, cids map[string]string) {
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		img, ok := n.(*ast.Image)
		if !ok || !entering {
			return ast.WalkContinue, nil
		}
		if rel, ok := strings.CutPrefix(string(img.Destination), base); ok {
			if p, ok := assetPath(rel); ok && cids[p] != "" {
				img.Destination = []byte("cid:" + cids[p])
			}
		}
		return ast.WalkContinue, nil
	})
}

// assetPath says whether a link destination names a file of the issue's
// own (relative, no scheme, host or leading slash) and returns its path.
func assetPath(dest string) (string, bool) {
	u, err := url.Parse(dest)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" || strings.HasPrefix(u.Path, "/") {
		return "", false
	}
	return u.Path, true
}

// absoluteLinks rewrites relative link and image destinations against the
// public base URL: in a mailbox there is no page for them to be relative to.
type absoluteLinks struct{ base *url.URL }

func (a absoluteLinks) Transform(doc *ast.Document, _ text.Reader, pc parser.Context) {
	base, _ := pc.Get(assetBaseKey).(string)
	var files issueFiles
	seen := map[string]bool{}
	fix := func(dest []byte, image bool) []byte {
		if p, ok := assetPath(string(dest)); ok && base != "" {
			if !seen[p] {
				files.all = append(files.all, p)
			}
			if image && !seen["img:"+p] {
				files.images = append(files.images, p)
				seen["img:"+p] = true
			}
			seen[p] = true
			return []byte(base + string(dest))
		}
		return a.resolve(dest)
	}
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch l := n.(type) {
		case *ast.Link:
			l.Destination = fix(l.Destination, false)
		case *ast.Image:
			l.Destination = fix(l.Destination, true)
		}
		return ast.WalkContinue, nil
	})
	pc.Set(assetsKey, files)
}

func (a absoluteLinks) resolve(dest []byte) []byte {
	u, err := url.Parse(string(dest))
	if err != nil || u.IsAbs() || a.base == nil {
		return dest
	}
	return []byte(a.base.ResolveReference(u).String())
}

// checkboxRenderer draws task-list boxes as characters: mail clients do not
// render form controls, and sanitising removes them anyway.
type checkboxRenderer struct{}

func (checkboxRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(east.KindTaskCheckBox, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			if n.(*east.TaskCheckBox).IsChecked {
				w.WriteString("&#9745; ")
			} else {
				w.WriteString("&#9744; ")
			}
		}
		return ast.WalkContinue, nil
	})
}

// sanitizer is the policy for the HTML body: user-generated-content rules,
// minus nofollow (meaningless in mail), links opened by the mail client.
func sanitizer() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(false)
	p.RequireParseableURLs(true)
	// cid: names a part of the message (images: inline, RFC 2392).
	p.AllowURLSchemes("http", "https", "mailto", "cid")
	p.AllowAttrs("align").OnElements("td", "th")
	return p
}

// renderHTMLBody renders the AST to sanitised HTML.
func renderHTMLBody(md goldmark.Markdown, policy *bluemonday.Policy, src []byte, doc ast.Node) ([]byte, error) {
	var buf bytes.Buffer
	if err := md.Renderer().Render(&buf, src, doc); err != nil {
		return nil, err
	}
	return scrollBoxes(policy.SanitizeBytes(buf.Bytes())), nil
}

// scrollBoxes puts every table and code block in a box of its own that
// scrolls sideways: a wide table or a long code line must not widen the
// whole message on a phone, and code must not wrap mid-line. Done after
// sanitising, so the boxes are ours, not an editor's markup. A client
// without overflow support shows the box as a plain block.
func scrollBoxes(b []byte) []byte {
	return scrollReplacer.ReplaceAll(b, func(tag []byte) []byte {
		switch string(tag) {
		case "<table>":
			return []byte(`<div class="scroll"><table>`)
		case "<pre>":
			return []byte(`<div class="scroll"><pre>`)
		case "</table>":
			return []byte(`</table></div>`)
		}
		return []byte(`</pre></div>`)
	})
}

// plainOf returns the text of raw HTML, tags dropped and entities decoded.
func plainOf(raw string) string {
	return strings.TrimSpace(unescapeHTML(bluemonday.StrictPolicy().Sanitize(raw)))
}

// scrollReplacer finds the tags scrollBoxes wraps.
var scrollReplacer = tagReplacer{[][]byte{[]byte("<table>"), []byte("</table>"), []byte("<pre>"), []byte("</pre>")}}

type tagReplacer struct{ tags [][]byte }

// ReplaceAll replaces each occurrence of the tags with f(tag).
func (r tagReplacer) ReplaceAll(b []byte, f func([]byte) []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			out.Write(b)
			break
		}
		out.Write(b[:i])
		b = b[i:]
		matched := false
		for _, t := range r.tags {
			if bytes.HasPrefix(b, t) {
				out.Write(f(t))
				b = b[len(t):]
				matched = true
				break
			}
		}
		if !matched {
			out.WriteByte('<')
			b = b[1:]
		}
	}
	return out.Bytes()
}
