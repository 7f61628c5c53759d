package config

import (
	"path/filepath"
	"testing"
)

// TestPathSetting: a file inside the config's directory is named relative
// to it, one outside by its absolute path, and either resolves back to the
// file through Resolve.
func TestPathSetting(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	other := t.TempDir()
	cases := []struct{ configDir, p, want string }{
		{dir, filepath.Join(dir, "dkim-s1.key"), "dkim-s1.key"},
		{".", "keys/dkim-s1.key", filepath.Join("keys", "dkim-s1.key")},
		{dir, filepath.Join(other, "k.key"), filepath.Join(other, "k.key")},
		{filepath.Join(dir, "etc"), "k.key", filepath.Join(dir, "k.key")},
	}
	for _, c := range cases {
		got := PathSetting(c.configDir, c.p)
		if got != c.want {
			t.Errorf("PathSetting(%q, %q) = %q, want %q", c.configDir, c.p, got, c.want)
		}
		abs, _ := filepath.Abs(c.p)
		cdir, _ := filepath.Abs(c.configDir)
		if back := (&Config{Dir: cdir}).Resolve(got); back != abs {
			t.Errorf("Resolve(%q) = %q, want %q", got, back, abs)
		}
	}
}
