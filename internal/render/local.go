package render

import (
	"net/url"
	"path/filepath"
	"strings"
)

// The issue's own files are published only when it is sent, so a copy
// shown before then (render's HTML file, the preview) points them to where
// they are now: the directory beside the issue, or a server that serves
// that directory.

// ShowFrom points the HTML's links to the issue's own files, published at
// AssetBase or carried in the message as cid: images, to local+PATH.
func (r *Renderer) ShowFrom(rd *Rendered, html, local string) string {
	return rd.ShowInlined(strings.ReplaceAll(html, r.AssetBase(rd.List.Name, rd.Issue.Slug), local), local)
}

// FileBase is the file:// URL, ending in a slash, of the directory that
// holds the issue's Markdown file source: where its own files are before
// they are published.
func FileBase(source string) (string, error) {
	dir, err := filepath.Abs(filepath.Dir(source))
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/"}).String(), nil
}

// InlineSplit parts the issue's images into those carried in the message
// and those that stay links to their published copy, in the order the
// issue shows them.
func (rd *Rendered) InlineSplit() (inlined, linked []string) {
	for _, p := range rd.Images {
		if _, ok := rd.Inlined[p]; ok {
			inlined = append(inlined, p)
		} else {
			linked = append(linked, p)
		}
	}
	return inlined, linked
}
