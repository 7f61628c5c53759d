package templates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	texttemplate "text/template"
)

// Overlay returns the templates with the files in dir taking precedence over
// the embedded ones of the same path. An empty dir gives the embedded set.
// A file missing from dir falls back to the embedded one, so an owner copies
// only the templates they want to change.
func Overlay(dir string) fs.FS {
	if dir == "" {
		return FS
	}
	return overlay{top: os.DirFS(dir), base: FS}
}

type overlay struct{ top, base fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	f, err := o.top.Open(name)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err // an unreadable override must not silently fall back
	}
	return o.base.Open(name)
}

// Check opens an owner's template directory and parses every template in
// it, so that a wrong path or a broken template stops mailer at startup
// (and shows in `mailer doctor`) instead of being ignored or failing at the
// first mail that needs it.
func Check(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("template directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("template directory %s is not a directory", dir)
	}
	return fs.WalkDir(os.DirFS(dir), ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("template directory %s: %w", dir, err)
		}
		if e.IsDir() {
			return nil
		}
		b, err := fs.ReadFile(os.DirFS(dir), path)
		if err != nil {
			return fmt.Errorf("template directory %s: %w", dir, err)
		}
		switch filepath.Ext(path) {
		case ".html":
			_, err = htmltemplate.New(path).Parse(string(b))
		case ".txt", ".tmpl":
			_, err = texttemplate.New(path).Parse(string(b))
		default:
			return nil // stylesheets and the like are used as they are
		}
		if err != nil {
			return fmt.Errorf("template %s: %w", filepath.Join(dir, path), err)
		}
		return nil
	})
}
