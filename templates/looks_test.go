package templates

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLooksFallBackFileByFile: a list's file, else templates_dir's, else
// the embedded one.
func TestLooksFallBackFileByFile(t *testing.T) {
	global, own := t.TempDir(), t.TempDir()
	for dir, files := range map[string][]string{global: {"optin/welcome.txt", "optin/goodbye.txt"}, own: {"optin/welcome.txt"}} {
		os.MkdirAll(filepath.Join(dir, "optin"), 0o755)
		for _, f := range files {
			os.WriteFile(filepath.Join(dir, f), []byte(dir), 0o644)
		}
	}
	fsys := Looks{Global: global}.For(own)
	for name, want := range map[string]string{"optin/welcome.txt": own, "optin/goodbye.txt": global} {
		if b, err := fs.ReadFile(fsys, name); err != nil || string(b) != want {
			t.Errorf("%s: %q %v, want %s's", name, b, err, want)
		}
	}
	if b, err := fs.ReadFile(fsys, "optin/confirm.txt"); err != nil || !strings.Contains(string(b), "confirm") {
		t.Errorf("optin/confirm.txt does not fall back to the embedded one: %v", err)
	}
}

// TestSetsReportABrokenLook: a missing or broken list directory is an
// error, with the global set to go on with; a good one is parsed once.
func TestSetsReportABrokenLook(t *testing.T) {
	parses := 0
	sets, err := NewSets(Looks{}, func(fsys fs.FS) (string, error) {
		parses++
		b, err := fs.ReadFile(fsys, "optin/welcome.txt")
		return string(b), err
	})
	if err != nil {
		t.Fatal(err)
	}
	global, _ := sets.For("")
	if got, err := sets.For(filepath.Join(t.TempDir(), "gone")); err == nil || got != global {
		t.Errorf("missing directory: %v, global set given: %v", err, got == global)
	}
	own := t.TempDir()
	os.MkdirAll(filepath.Join(own, "optin"), 0o755)
	os.WriteFile(filepath.Join(own, "optin", "welcome.txt"), []byte("{{.X"), 0o644)
	if _, err := sets.For(own); err == nil || !strings.Contains(err.Error(), "welcome.txt") {
		t.Errorf("broken template: %v", err)
	}
	os.WriteFile(filepath.Join(own, "optin", "welcome.txt"), []byte("mine"), 0o644)
	before := parses
	for range 3 {
		if got, err := sets.For(own); err != nil || got != "mine" {
			t.Fatalf("good directory: %q %v", got, err)
		}
	}
	if parses != before+1 {
		t.Errorf("parsed %d times, want once", parses-before)
	}
}
