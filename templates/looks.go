package templates

import (
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// Looks finds each list's templates: the list's own directory over the
// global templates_dir over the embedded templates, file by file, so a
// list's directory holds only the files that make it look like itself.
type Looks struct {
	Global string // templates_dir, resolved; "" for the embedded set
}

// For returns the templates of a list whose own directory is listDir
// ("" = none).
func (l Looks) For(listDir string) fs.FS {
	base := Overlay(l.Global)
	if listDir == "" {
		return base
	}
	return overlay{top: os.DirFS(listDir), base: base}
}

// CheckList is Check for a list's own directory, naming the list.
func CheckList(list, dir string) error {
	if err := Check(dir); err != nil {
		return fmt.Errorf("list %s: %w", list, err)
	}
	return nil
}

// Sets parses a user's set of templates once per look and keeps it: the
// global look at once (an error there stops the program), a list's on its
// first use. Edited template files are read again on restart, as before.
type Sets[T any] struct {
	looks Looks
	parse func(fs.FS) (T, error)
	mu    sync.Mutex
	sets  map[string]T
}

// NewSets parses the global look with parse.
func NewSets[T any](looks Looks, parse func(fs.FS) (T, error)) (*Sets[T], error) {
	global, err := parse(looks.For(""))
	if err != nil {
		return nil, err
	}
	return &Sets[T]{looks: looks, parse: parse, sets: map[string]T{"": global}}, nil
}

// For returns the set of the look whose own directory is listDir. On an
// error (the directory was broken after it was checked) it returns the
// global set too, so a page or a mail still goes out in the global look
// while the caller reports the error.
func (s *Sets[T]) For(listDir string) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.sets[listDir]; ok {
		return t, nil
	}
	// A missing directory would otherwise fall back file by file, silently.
	if err := Check(listDir); err != nil {
		return s.sets[""], err
	}
	t, err := s.parse(s.looks.For(listDir))
	if err != nil {
		return s.sets[""], fmt.Errorf("templates in %s: %w", listDir, err)
	}
	s.sets[listDir] = t
	return t, nil
}
