package render

import (
	"bytes"
	"html"
	htmltemplate "html/template"
	"io/fs"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/vanng822/go-premailer/premailer"
	"github.com/yuin/goldmark"

	"mailer/internal/fault"
	"mailer/internal/issue"
	"mailer/internal/listaddr"
)

// Options configure a Renderer.
type Options struct {
	BaseURL   string // public base URL: links in mail and relative links in issues
	ListHost  string // domain of the list addresses
	Contact   string // postal address or contact line for footers
	Templates fs.FS  // templates/ (embedded, or overlaid by templates_dir)
	Now       func() time.Time
}

// List is what the renderer needs to know about the list an issue goes to.
type List struct {
	ID            int64
	Name          string
	Title         string
	FromAddress   string
	FromName      string
	SubjectPrefix string
}

// Renderer renders issues. It is safe for concurrent use.
type Renderer struct {
	opts   Options
	base   *url.URL
	md     goldmark.Markdown
	policy *bluemonday.Policy
	html   *htmltemplate.Template
	text   *texttemplate.Template
	css    string
	book   listaddr.Book
}

// New parses the templates once.
func New(opts Options) (*Renderer, error) {
	base, err := url.Parse(opts.BaseURL)
	if err != nil || !base.IsAbs() {
		return nil, fault.Errorf(fault.Invalid, "base URL %q is not absolute", opts.BaseURL)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	css, err := fs.ReadFile(opts.Templates, "issue/issue.css")
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "template issue/issue.css")
	}
	h, err := htmltemplate.ParseFS(opts.Templates, "issue/issue.html")
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "template issue/issue.html")
	}
	t, err := texttemplate.ParseFS(opts.Templates, "issue/issue.txt")
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "template issue/issue.txt")
	}
	return &Renderer{opts: opts, base: base, md: newMarkdown(base), policy: sanitizer(), html: h, text: t, css: string(css),
		book: listaddr.New(opts.ListHost, opts.BaseURL, nil)}, nil
}

// Slots stand in for per-recipient values in the rendered versions. They
// are plain ASCII letters and underscores, which HTML and URL escaping,
// CSS inlining and quoted-printable encoding all leave alone.
const (
	SlotAddress        = "MAILERSLOT_ADDRESS"
	SlotUnsubscribeURL = "MAILERSLOT_UNSUBSCRIBE_URL"
)

// Rendered is an issue rendered for one list, with slots where each
// recipient's values go.
type Rendered struct {
	Issue   *issue.Issue
	List    List
	Subject string // with the list's prefix
	HTML    string // the HTML version, CSS inlined, with slots
	Text    string // the plain-text version, with slots
	Message *Prepared
	// Assets are the issue's own files its links and images name (paths
	// relative to its Markdown file), published at AssetBase; Images are
	// those shown as images.
	Assets, Images []string
	// Inlined maps the images carried in the message to their Content-ID:
	// the HTML shows them as cid:ID.
	Inlined map[string]string
}

// ShowInlined points the HTML's cid: images to base+PATH, for a browser
// outside a mail client (a preview).
func (rd *Rendered) ShowInlined(html, base string) string {
	for p, cid := range rd.Inlined {
		html = strings.ReplaceAll(html, "cid:"+cid, base+p)
	}
	return html
}

// AssetBase is where an issue's own files are published:
// base_url/archive/LIST/ISSUE/.
func (r *Renderer) AssetBase(list, slug string) string { return r.book.ArchiveURL(list, slug) + "/" }

// pageData feeds the issue templates.
type pageData struct {
	Lang, Title, TitleRule, Date, Preheader string
	ListName, ListTitle                     string
	Contact                                 string
	ArchiveURL, ArchiveIndexURL             string
	Address, UnsubscribeURL                 string
	Personal                                bool
	CSS                                     htmltemplate.CSS
	Body                                    any // template.HTML for HTML, string for text
}

// Render renders iss for list: Markdown once into an AST, then the HTML and
// text versions from it, then the message around them.
func (r *Renderer) Render(iss *issue.Issue, list List) (*Rendered, error) {
	return r.RenderInline(iss, list, nil)
}

// Inline is an image of the issue's own that travels in the message
// (front matter images: inline) instead of being linked.
type Inline struct {
	Path        string // as the issue names it, relative to its Markdown
	ContentType string
	Data        []byte
}

// RenderInline is Render with images carried in the message: the HTML
// shows them from multipart/related parts (cid: URLs, RFC 2387 and 2392);
// the text version, the archive and the feed keep the published URLs.
func (r *Renderer) RenderInline(iss *issue.Issue, list List, images []Inline) (*Rendered, error) {
	base := r.AssetBase(list.Name, iss.Slug)
	doc, files := parseIssue(r.md, iss.Body, base)
	data := r.pageData(iss, list, true)
	data.Body = renderText(iss.Body, doc)
	var txt bytes.Buffer
	if err := r.text.Execute(&txt, data); err != nil {
		return nil, fault.Wrap(fault.Internal, err, "template issue/issue.txt")
	}
	parts := r.relatedParts(images)
	if len(parts) > 0 {
		cids := map[string]string{}
		for _, p := range parts {
			cids[p.Path] = p.cid
		}
		pointImages(doc, base, cids)
	}
	bodyHTML, err := renderHTMLBody(r.md, r.policy, iss.Body, doc)
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "render %s", iss.Source)
	}
	data.Body = htmltemplate.HTML(bodyHTML)
	page, err := r.page(data)
	if err != nil {
		return nil, err
	}
	out := &Rendered{Issue: iss, List: list, Subject: list.SubjectPrefix + iss.Subject, HTML: page, Text: txt.String(),
		Assets: files.all, Images: files.images}
	for _, p := range parts {
		if out.Inlined == nil {
			out.Inlined = map[string]string{}
		}
		out.Inlined[p.Path] = p.cid
	}
	out.Message, err = r.prepare(out, parts)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WebPage renders the HTML version without personal links, for the archive
// and for previews.
// Content is the issue's HTML alone, sanitised, links absolute: what a
// feed reader shows.
func (r *Renderer) Content(iss *issue.Issue, list List) (string, error) {
	doc, _ := parseIssue(r.md, iss.Body, r.AssetBase(list.Name, iss.Slug))
	b, err := renderHTMLBody(r.md, r.policy, iss.Body, doc)
	if err != nil {
		return "", fault.Wrap(fault.Internal, err, "render %s", iss.Source)
	}
	return string(b), nil
}

func (r *Renderer) WebPage(iss *issue.Issue, list List) (string, error) {
	doc, _ := parseIssue(r.md, iss.Body, r.AssetBase(list.Name, iss.Slug))
	bodyHTML, err := renderHTMLBody(r.md, r.policy, iss.Body, doc)
	if err != nil {
		return "", fault.Wrap(fault.Internal, err, "render %s", iss.Source)
	}
	data := r.pageData(iss, list, false)
	data.Body = htmltemplate.HTML(bodyHTML)
	return r.page(data)
}

func (r *Renderer) page(data pageData) (string, error) {
	var buf bytes.Buffer
	if err := r.html.Execute(&buf, data); err != nil {
		return "", fault.Wrap(fault.Internal, err, "template issue/issue.html")
	}
	pm, err := premailer.NewPremailerFromBytes(buf.Bytes(), premailer.NewOptions(premailer.WithKeepBangImportant(true)))
	if err != nil {
		return "", fault.Wrap(fault.Internal, err, "inline CSS")
	}
	inlined, err := pm.Transform()
	if err != nil {
		return "", fault.Wrap(fault.Internal, err, "inline CSS")
	}
	return inlined, nil
}

func (r *Renderer) pageData(iss *issue.Issue, list List, personal bool) pageData {
	d := pageData{
		Lang: "en", Title: iss.Title, Preheader: iss.Summary,
		TitleRule: strings.Repeat("=", min(utf8.RuneCountInString(iss.Title), TextWidth)),
		ListName:  list.Name, ListTitle: list.Title, Contact: r.opts.Contact,
		ArchiveURL: r.ArchiveURL(list.Name, iss.Slug), ArchiveIndexURL: r.ArchiveURL(list.Name, ""),
		Personal: personal, CSS: htmltemplate.CSS(r.css),
	}
	if personal {
		d.Address, d.UnsubscribeURL = SlotAddress, SlotUnsubscribeURL
	}
	if !iss.Date.IsZero() {
		d.Date = iss.Date.Format("2 January 2006")
	}
	return d
}

// ArchiveURL is the web address of an issue in the archive, or of the
// list's archive when slug is empty.
func (r *Renderer) ArchiveURL(list, slug string) string {
	return r.book.ArchiveURL(list, slug)
}

// Personal returns the HTML and text versions with r's values in the slots,
// for previews and `mailer render`; the sender uses Message.Personalise.
func (rd *Rendered) Personal(r Recipient) (htmlVersion, textVersion string) {
	unsub := rd.Message.book.UnsubscribeURL(r.Token)
	htmlVersion = strings.NewReplacer(SlotAddress, html.EscapeString(r.Address), SlotUnsubscribeURL, html.EscapeString(unsub)).Replace(rd.HTML)
	textVersion = strings.NewReplacer(SlotAddress, r.Address, SlotUnsubscribeURL, unsub).Replace(rd.Text)
	return htmlVersion, textVersion
}
