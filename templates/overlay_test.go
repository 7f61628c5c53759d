package templates

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOverlayPrefersDirectoryAndFallsBack(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "config"), 0o755)
	os.WriteFile(filepath.Join(dir, "config", "extra.tmpl"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(dir, "config", "mailer.toml.tmpl"), []byte("override"), 0o644)

	fsys := Overlay(dir)
	got, err := fs.ReadFile(fsys, "config/mailer.toml.tmpl")
	if err != nil || string(got) != "override" {
		t.Fatalf("override not used: %q %v", got, err)
	}
	os.Remove(filepath.Join(dir, "config", "mailer.toml.tmpl"))
	got, err = fs.ReadFile(fsys, "config/mailer.toml.tmpl")
	if err != nil || len(got) < 100 {
		t.Fatalf("no fallback to the embedded template: %q %v", got, err)
	}
	if _, err := fs.ReadFile(Overlay(""), "config/extra.tmpl"); err == nil {
		t.Fatal("empty dir should give only the embedded templates")
	}
}

// TestCheckRefusesWhatWouldBeIgnored: a missing directory and a template
// that does not parse are errors, named.
func TestCheckRefusesWhatWouldBeIgnored(t *testing.T) {
	dir := t.TempDir()
	if err := Check(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing dir: %v", err)
	}
	os.MkdirAll(filepath.Join(dir, "inbound"), 0o755)
	os.WriteFile(filepath.Join(dir, "inbound", "reply.txt"), []byte("fine {{.Host}}"), 0o644)
	if err := Check(dir); err != nil {
		t.Fatalf("good dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "inbound", "reply.txt"), []byte("broken {{.Host"), 0o644)
	if err := Check(dir); err == nil || !strings.Contains(err.Error(), "reply.txt") {
		t.Fatalf("broken template: %v", err)
	}
}
