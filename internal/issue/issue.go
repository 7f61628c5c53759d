// Package issue reads a newsletter issue: a Markdown file with YAML front
// matter, as static-site generators write them.
package issue

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"mailer/internal/fault"
)

// Issue is one newsletter issue.
type Issue struct {
	Slug       string    // file name without .md: issue-06
	Source     string    // the file it came from, for messages
	Title      string    // required
	Subject    string    // Subject line; defaults to Title
	Date       time.Time // zero when the front matter has none
	Summary    string    // preheader: summary, else preheader, else ogSummary
	List       string    // the list it goes to; empty means the configured default
	Draft      bool      // the sender refuses drafts
	NoArchive  bool      // archive: false keeps it out of the public archive and feed
	Images     string    // "inline": small images travel in the message; else linked
	Path       string    // where the issue lives on the editor's own site, if anywhere
	Categories []string
	Tags       []string
	Body       []byte // Markdown after the front matter
}

// frontMatter mirrors the YAML keys. Unknown keys are ignored: editors copy
// files from static-site generators with keys of their own.
type frontMatter struct {
	Title      string   `yaml:"title"`
	Subject    string   `yaml:"subject"`
	Date       string   `yaml:"date"`
	Summary    string   `yaml:"summary"`
	Preheader  string   `yaml:"preheader"`
	OGSummary  string   `yaml:"ogSummary"`
	List       string   `yaml:"list"`
	Draft      bool     `yaml:"draft"`
	Archive    *bool    `yaml:"archive"`
	Images     string   `yaml:"images"`
	Path       string   `yaml:"path"`
	Categories []string `yaml:"categories"`
	Tags       []string `yaml:"tags"`
}

// MaxSize bounds what Parse reads; a newsletter issue is tens of kilobytes.
const MaxSize = 4 << 20

// Resolve turns a name such as "issue-06" into <dir>/issue-06.md; a name
// that is already a path to an existing file is used as it is.
func Resolve(dir, name string) (string, error) {
	if st, err := os.Stat(name); err == nil && !st.IsDir() {
		return name, nil
	}
	if strings.ContainsRune(name, filepath.Separator) || strings.HasPrefix(name, ".") {
		return "", fault.Errorf(fault.NotFound, "no issue file %s", name)
	}
	p := filepath.Join(dir, strings.TrimSuffix(name, ".md")+".md")
	if _, err := os.Stat(p); err != nil {
		return "", fault.Errorf(fault.NotFound, "no issue %q: %s does not exist", name, p)
	}
	return p, nil
}

// Load reads and parses the issue file at path.
func Load(path string) (*Issue, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "cannot read issue %s", path)
	}
	return Parse(path, data)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// Parse parses an issue from its bytes; name is used for the slug and in
// error messages. It returns an issue or an error, never both.
func Parse(name string, data []byte) (*Issue, error) {
	if len(data) > MaxSize {
		return nil, fault.Errorf(fault.Invalid, "%s: larger than %d bytes", name, MaxSize)
	}
	if !utf8.Valid(data) {
		return nil, fault.Errorf(fault.Invalid, "%s: not valid UTF-8", name)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	head, body, err := split(data)
	if err != nil {
		return nil, fault.Errorf(fault.Invalid, "%s: %v", name, err)
	}
	var fm frontMatter
	if err := yaml.Unmarshal(head, &fm); err != nil {
		return nil, fault.Errorf(fault.Invalid, "%s: front matter: %s", name, yamlError(err))
	}
	iss := &Issue{
		Slug:   strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)),
		Source: name,
		Title:  strings.TrimSpace(fm.Title), Subject: strings.TrimSpace(fm.Subject),
		Summary: firstNonEmpty(fm.Summary, fm.Preheader, fm.OGSummary),
		List:    strings.TrimSpace(fm.List), Draft: fm.Draft, Path: fm.Path,
		Categories: fm.Categories, Tags: fm.Tags, Body: body,
	}
	if iss.Title == "" {
		return nil, fault.Errorf(fault.Invalid, "%s: front matter has no title", name)
	}
	if iss.Subject == "" {
		iss.Subject = iss.Title
	}
	for what, v := range map[string]string{"title": iss.Title, "subject": iss.Subject, "summary": iss.Summary} {
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fault.Errorf(fault.Invalid, "%s: %s must be one line", name, what)
		}
	}
	iss.NoArchive = fm.Archive != nil && !*fm.Archive
	switch iss.Images = strings.TrimSpace(fm.Images); iss.Images {
	case "", "linked", "inline":
	default:
		return nil, fault.Errorf(fault.Invalid, "%s: front matter: images: want inline or linked, not %q", name, fm.Images)
	}
	if fm.Date != "" {
		if iss.Date, err = parseDate(fm.Date); err != nil {
			return nil, fault.Errorf(fault.Invalid, "%s: front matter: date: %v", name, err)
		}
	}
	return iss, nil
}

// split separates the front matter from the body. A file without front
// matter has no title, which Parse then reports.
func split(data []byte) (head, body []byte, err error) {
	if !bytes.HasPrefix(data, []byte("---\n")) {
		return nil, nil, errors.New("no front matter: the file must start with a line \"---\", the YAML keys (at least title:), and another \"---\"")
	}
	rest := data[len("---\n"):]
	if bytes.HasPrefix(rest, []byte("---\n")) || bytes.Equal(rest, []byte("---")) {
		return nil, bytes.TrimPrefix(rest[3:], []byte("\n")), nil
	}
	end := bytes.Index(rest, []byte("\n---\n"))
	if end < 0 {
		if bytes.HasSuffix(rest, []byte("\n---")) {
			return rest[:len(rest)-4], nil, nil
		}
		return nil, nil, errors.New("front matter is not closed by a line \"---\"")
	}
	return rest[:end+1], rest[end+len("\n---\n"):], nil
}

// yamlError shifts yaml's line numbers by the opening "---" so that they
// count lines of the file.
func yamlError(err error) string {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return fmt.Sprintf("line %d: %s", n+1, msg[len(m[0]):])
	}
	return strings.TrimPrefix(msg, "yaml: ")
}

var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

func parseDate(s string) (time.Time, error) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (use 2017-06-08 or 2017-06-08T19:53:58Z)", s)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
