package render

import (
	"mime"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"mailer/internal/fault"
	"mailer/internal/issue"
)

func renderIssue06(t *testing.T) (*Rendered, *delivered, []byte) {
	t.Helper()
	rd, err := mustRenderer(t).Render(mustIssue06(t), bpfList)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rd.Message.Personalise(nil, alice)
	if err != nil {
		t.Fatal(err)
	}
	return rd, parseMessage(t, raw), raw
}

func TestIssue06Golden(t *testing.T) {
	_, d, _ := renderIssue06(t)
	golden(t, "issue-06.txt", d.Text)
	golden(t, "issue-06.html", d.HTML)
}

var mdLink = regexp.MustCompile(`\]\((https?://[^)\s]+)\)`)

func TestIssue06EveryLinkInBothVersions(t *testing.T) {
	_, d, _ := renderIssue06(t)
	src, _ := os.ReadFile("testdata/issue-06.md")
	links := mdLink.FindAllStringSubmatch(string(src), -1)
	if len(links) < 40 {
		t.Fatalf("found only %d links in the fixture; the pattern is wrong", len(links))
	}
	hrefs := map[string]bool{}
	for _, h := range htmlHrefs(t, d.HTML) {
		hrefs[h] = true
	}
	for _, m := range links {
		u := m[1]
		if !hrefs[u] {
			t.Errorf("HTML lacks a link to %s", u)
		}
		if !strings.Contains(d.Text, u) {
			t.Errorf("text lacks %s", u)
		}
	}
}

func TestIssue06NestedListsStayNested(t *testing.T) {
	_, d, _ := renderIssue06(t)
	doc, err := html.Parse(strings.NewReader(d.HTML))
	if err != nil {
		t.Fatal(err)
	}
	// In HTML: the item for the 0/8 cover letter holds a list of the 8 patches.
	var found bool
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode || n.Data != "li" || !strings.Contains(ownText(n), "Martin KaFai Lau") {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data == "ul" {
				found = countChildren(c, "li") == 8
			}
		}
	})
	if !found {
		t.Error("HTML: the 8 bpf ID patches are not a nested list under Martin KaFai Lau's cover letter")
	}
	// In text: the sub-items are indented under their parent.
	lines := strings.Split(d.Text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "- Martin KaFai Lau") {
			for j := 1; j <= 8; j++ {
				if !strings.HasPrefix(lines[i+1], "  - [PATCH v3 net-next") && !strings.HasPrefix(lines[i+1], "    ") {
					t.Fatalf("text: line after the cover letter not nested: %q", lines[i+1])
				}
				i++
			}
			return
		}
	}
	t.Error("text: no line for Martin KaFai Lau's cover letter")
}

func TestIssue06HeadingsKeepOrder(t *testing.T) {
	_, d, _ := renderIssue06(t)
	want := []string{"Videos", "Netdev 2.1 - XDP for the Rest of Us By Andy Gospodarek + Jesper Dangaard Brouer",
		"In case you missed it", "Cilium v0.9 Released: Hello Kubernetes!", "XDP Newbies...", "Random cool note", "Some patches"}
	doc, _ := html.Parse(strings.NewReader(d.HTML))
	var got []string
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "h2" || n.Data == "h3") {
			got = append(got, strings.TrimSpace(ownText(n)))
		}
	})
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("HTML headings %q, want %q", got, want)
	}
	pos := -1
	flat := strings.ReplaceAll(d.Text, "\n", " ")
	for _, h := range want {
		i := strings.Index(flat, h)
		if i <= pos {
			t.Errorf("text heading %q missing or out of order", h)
		}
		pos = i
	}
}

func TestMessageStructureAndHeaders(t *testing.T) {
	rd, d, raw := renderIssue06(t)
	h := d.Header
	checks := map[string]string{
		"From":                  "Alexander Alemayhu <alexander@example.org>",
		"To":                    "Alice Example <alice@example.org>",
		"Subject":               "[bpf-updates] BPF updates 06",
		"Date":                  "Thu, 26 Nov 2026 09:00:00 +0000",
		"Message-Id":            "<issue-06.1.1@lists.example.org>",
		"Mime-Version":          "1.0",
		"List-Id":               "BPF updates <bpf-updates.lists.example.org>",
		"List-Unsubscribe":      "<https://lists.example.org/u/aeaqd4mbgh4zbovntafxuq5t2e>, <mailto:bpf-updates-unsubscribe+aeaqd4mbgh4zbovntafxuq5t2e@lists.example.org?subject=unsubscribe>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"List-Archive":          "<https://lists.example.org/archive/bpf-updates/>",
		"Precedence":            "bulk",
		"List-Post":             "NO",
	}
	for k, want := range checks {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if len(d.PartTypes) != 2 || d.PartTypes[0] != "text/plain; charset=utf-8" || d.PartTypes[1] != "text/html; charset=utf-8" {
		t.Errorf("parts %v, want text/plain then text/html, UTF-8", d.PartTypes)
	}
	for _, cte := range d.PartCTEs {
		if cte != "quoted-printable" {
			t.Errorf("Content-Transfer-Encoding %q", cte)
		}
	}
	for i, l := range strings.Split(string(raw), "\r\n") {
		if len(l) > 78 && !strings.Contains(l, "mailto:") {
			t.Errorf("line %d is %d octets: %q", i+1, len(l), l)
		}
	}
	if strings.Contains(strings.ReplaceAll(string(raw), "\r\n", ""), "\n") {
		t.Error("bare LF in the message")
	}
	if !strings.Contains(d.Text, "alice@example.org") || !strings.Contains(d.Text, "https://lists.example.org/u/aeaqd4mbgh4zbovntafxuq5t2e") {
		t.Error("text footer lacks the reader's address or unsubscribe URL")
	}
	if !strings.Contains(d.HTML, `href="https://lists.example.org/u/aeaqd4mbgh4zbovntafxuq5t2e"`) {
		t.Error("HTML lacks the unsubscribe link")
	}
	if strings.Contains(string(raw), "MAILERSLOT") || strings.Contains(rd.Text, "MAILERSLOT") == false {
		t.Error("slots left in the message, or never placed in the text")
	}
}

func TestNonASCIISubjectIsEncoded(t *testing.T) {
	iss, err := issue.Parse("x.md", []byte("---\ntitle: Grüße aus Zürich – Ausgabe 7\n---\nHallo *Welt*\n"))
	if err != nil {
		t.Fatal(err)
	}
	list := bpfList
	list.FromName, list.Title = "Jörg Müller", "Café news"
	rd, err := mustRenderer(t).Render(iss, list)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := rd.Message.Personalise(nil, Recipient{Address: "b@example.org", Token: "x"})
	d := parseMessage(t, raw)
	if !strings.Contains(d.Header.Get("Subject"), "=?utf-8?") {
		t.Fatalf("Subject not RFC 2047 encoded: %q", d.Header.Get("Subject"))
	}
	dec := new(mime.WordDecoder)
	subj, err := dec.DecodeHeader(d.Header.Get("Subject"))
	if err != nil || subj != "[bpf-updates] Grüße aus Zürich – Ausgabe 7" {
		t.Fatalf("Subject decodes to %q, %v", subj, err)
	}
	from, err := d.Header.AddressList("From")
	if err != nil || from[0].Name != "Jörg Müller" {
		t.Fatalf("From %v %v", from, err)
	}
	if !strings.Contains(d.Text, "Hallo _Welt_") || !strings.Contains(d.HTML, "<em>Welt</em>") {
		t.Fatal("body lost")
	}
}

func TestHeaderInjectionRefused(t *testing.T) {
	r := mustRenderer(t)
	iss := &issue.Issue{Slug: "x", Source: "x.md", Title: "ok", Subject: "Hi\r\nBcc: victim@example.org", Body: []byte("x")}
	if _, err := r.Render(iss, bpfList); err == nil || fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("subject with CRLF: %v", err)
	}
	list := bpfList
	list.Title = "News\nBcc: victim@example.org"
	iss.Subject = "ok"
	if _, err := r.Render(iss, list); err == nil {
		t.Fatal("list title with LF accepted")
	}
	rd, err := r.Render(iss, bpfList)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range []Recipient{
		{Address: "a@example.org\r\nBcc: v@example.org", Token: "t"},
		{Address: "a@example.org", Name: "A\nB", Token: "t"},
		{Address: "a@example.org", Token: "t>\r\nX: y"},
		{Address: "a@example.org", Token: "t", MessageID: "x>\r\nBcc: v@example.org"},
	} {
		if _, err := rd.Message.Personalise(nil, rc); err == nil {
			t.Errorf("recipient %+v accepted", rc)
		}
	}
}

func TestRawHTMLIsSanitised(t *testing.T) {
	md := "Hello <script>alert(1)</script> <sup>2</sup>\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1))\n\n<a href=\"/rel\" onclick=\"x()\">rel</a>\n"
	iss, _ := issue.Parse("x.md", []byte("---\ntitle: T\n---\n"+md))
	rd, err := mustRenderer(t).Render(iss, bpfList)
	if err != nil {
		t.Fatal(err)
	}
	low := strings.ToLower(rd.HTML)
	for _, bad := range []string{"<script", "alert(1)", "onerror", "javascript:", "onclick"} {
		if strings.Contains(low, bad) {
			t.Errorf("%q survived sanitising", bad)
		}
	}
	if !strings.Contains(rd.HTML, "<sup>2</sup>") {
		t.Error("safe inline HTML was removed")
	}
}

func TestRelativeLinksBecomeAbsolute(t *testing.T) {
	iss, _ := issue.Parse("x.md", []byte("---\ntitle: T\n---\nSee [the post](/blog/2017/6/7/x) and ![chart](img/c.png).\n"))
	rd, err := mustRenderer(t).Render(iss, bpfList)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := rd.Message.Personalise(nil, alice)
	d := parseMessage(t, raw)
	for _, h := range htmlHrefs(t, d.HTML) {
		if u, err := url.Parse(h); err != nil || !u.IsAbs() {
			t.Errorf("relative link left in HTML: %q", h)
		}
	}
	// A root-relative link is the site's; a relative one is a file next to
	// the issue, published with its archive page.
	if !strings.Contains(d.HTML, `src="https://lists.example.org/archive/bpf-updates/x/img/c.png"`) || !strings.Contains(d.Text, "https://lists.example.org/blog/2017/6/7/x") {
		t.Errorf("relative URLs not resolved:\n%s", d.Text)
	}
	if len(rd.Assets) != 1 || rd.Assets[0] != "img/c.png" {
		t.Errorf("assets %v", rd.Assets)
	}
}

func TestHTMLIsValidAndInlined(t *testing.T) {
	rd, _, _ := renderIssue06(t)
	doc, err := html.Parse(strings.NewReader(rd.HTML))
	if err != nil {
		t.Fatal(err)
	}
	var styled, code, pre int
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		if attr(n, "style") != "" {
			styled++
		}
		if n.Data == "code" && strings.Contains(attr(n, "style"), "monospace") {
			code++
		}
		if n.Data == "blockquote" && !strings.Contains(attr(n, "style"), "border-left") {
			t.Error("blockquote not styled inline")
		}
		if n.Data == "pre" {
			pre++
		}
	})
	if styled < 50 || code < 10 {
		t.Errorf("CSS not inlined: %d styled elements, %d monospace code spans", styled, code)
	}
	if !strings.Contains(rd.HTML, `name="color-scheme" content="light dark"`) || !strings.Contains(rd.HTML, "prefers-color-scheme: dark") {
		t.Error("no dark-mode support")
	}
	if !strings.Contains(rd.HTML, "BPF and XDP development updates") {
		t.Error("preheader missing")
	}
}

func htmlHrefs(t *testing.T, s string) []string {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" {
			out = append(out, attr(n, "href"))
		}
	})
	return out
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// ownText is the text of n without its nested lists.
func ownText(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(m *html.Node) {
		if m.Type == html.TextNode {
			b.WriteString(m.Data)
		}
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.Data == "ul" || c.Data == "ol") {
				continue
			}
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

func countChildren(n *html.Node, tag string) int {
	k := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == tag {
			k++
		}
	}
	return k
}

// TestListIdQuotesTheTitle: a title with specials is one quoted phrase, so
// List-Id stays one identifier (RFC 2919) and clients show the title.
func TestListIdQuotesTheTitle(t *testing.T) {
	for _, title := range []string{"BPF <weekly>, news", `Say "hi"; now`, "Zoë's list"} {
		l := bpfList
		l.Title = title
		rd, err := mustRenderer(t).Render(mustIssue06(t), l)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := rd.Message.Personalise(nil, alice)
		id := parseMessage(t, raw).Header.Get("List-Id")
		a, err := mail.ParseAddress(strings.Replace(strings.Replace(id, "<bpf-updates.lists.example.org>", "<bpf-updates@lists.example.org>", 1), "\r\n", "", -1))
		if err != nil || a.Name != title || a.Address != "bpf-updates@lists.example.org" {
			t.Errorf("%q: List-Id %q parses as %+v %v", title, id, a, err)
		}
	}
}
