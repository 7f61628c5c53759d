package templates

import (
	"errors"
	"io/fs"
	"os"
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
