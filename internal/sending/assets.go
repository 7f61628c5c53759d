package sending

import (
	"context"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"mailer/internal/fault"
	"mailer/internal/render"
	"mailer/internal/store"
)

// Limits on an issue's own files: a newsletter links to them, it does not
// ship a disk.
const (
	MaxAssetBytes  = 10 << 20
	MaxAssetsBytes = 25 << 20
)

// Limits on images carried in the message (images: inline): every copy
// carries them, so only small ones; larger ones stay linked.
const (
	InlineMaxBytes = 200 << 10
	InlineMaxTotal = 1 << 20
)

// Inlinable picks the images that travel in the message: PNG, JPEG and GIF
// (what mail clients show), each at most InlineMaxBytes, in order until
// InlineMaxTotal. The others stay linked to their published copy.
func Inlinable(files []store.Asset) []render.Inline {
	var out []render.Inline
	total := 0
	for _, f := range files {
		switch f.ContentType {
		case "image/png", "image/jpeg", "image/gif":
		default:
			continue
		}
		if len(f.Data) > InlineMaxBytes || total+len(f.Data) > InlineMaxTotal {
			continue
		}
		total += len(f.Data)
		out = append(out, render.Inline{Path: f.Path, ContentType: f.ContentType, Data: f.Data})
	}
	return out
}

// Assets reads the files the issue's links and images name, next to its
// Markdown file. A missing, unreadable, escaping or too large one is a
// fault.Invalid naming it: the issue cannot be sent with a broken link.
func (j *Job) Assets(paths []string) ([]store.Asset, error) {
	dir := filepath.Dir(j.Issue.Source)
	var out []store.Asset
	total := 0
	for _, p := range paths {
		clean := path.Clean(p)
		if clean == "." || strings.HasPrefix(clean, "../") || clean == ".." || strings.ContainsRune(p, 0) {
			return nil, fault.Errorf(fault.Invalid, "%s links to %q, outside the issue's directory: put the file next to the issue", j.Issue.Source, p)
		}
		file := filepath.Join(dir, filepath.FromSlash(clean))
		st, err := os.Stat(file)
		switch {
		case err != nil:
			return nil, fault.Errorf(fault.Invalid, "%s links to %s, which is missing (%s): add the file or fix the link", j.Issue.Source, p, file)
		case !st.Mode().IsRegular():
			return nil, fault.Errorf(fault.Invalid, "%s links to %s, which is not a file", j.Issue.Source, p)
		case st.Size() > MaxAssetBytes:
			return nil, fault.Errorf(fault.Invalid, "%s links to %s, which is %.1f MB: files of an issue may be at most %d MB; link to it elsewhere",
				j.Issue.Source, p, float64(st.Size())/(1<<20), MaxAssetBytes>>20)
		}
		total += int(st.Size())
		if total > MaxAssetsBytes {
			return nil, fault.Errorf(fault.Invalid, "%s: its files come to more than %d MB; link to the big ones elsewhere", j.Issue.Source, MaxAssetsBytes>>20)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fault.Errorf(fault.Invalid, "%s links to %s, which cannot be read: %v", j.Issue.Source, p, err)
		}
		out = append(out, store.Asset{Path: p, ContentType: contentType(p, data), Data: data})
	}
	return out, nil
}

// Publish makes the issue's own files available at their archive URLs
// (Renderer.AssetBase), replacing earlier copies: before the first copy of
// the issue, test copies included, goes out.
func (p *Plan) Publish(ctx context.Context) error {
	if len(p.Assets) == 0 {
		return nil
	}
	return p.Job.DB.SaveAssets(ctx, p.Job.List.ID, p.Job.Issue.Slug, p.Assets)
}

// contentType is the file's type by its extension, else by its bytes.
func contentType(name string, data []byte) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return http.DetectContentType(data)
}
