package dkimsign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mailer/internal/fault"
)

// TestNewKeyFile: the key file is private to its owner, loads, and the
// record returned publishes its public key; an existing file is left alone.
func TestNewKeyFile(t *testing.T) {
	for _, alg := range []string{"rsa", "ed25519"} {
		path := filepath.Join(t.TempDir(), "dkim-s1.key")
		rec, err := NewKeyFile(path, alg)
		if err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: key file %v, %v", alg, fi.Mode(), err)
		}
		s, err := Load("example.org", "s1", path)
		if err != nil {
			t.Fatal(err)
		}
		recs, _ := s.Records()
		if !strings.HasPrefix(rec, "v=DKIM1; k="+alg+"; p=") || recs[RecordName("s1", "example.org")] != rec {
			t.Fatalf("%s: record %q, the loaded key publishes %v", alg, rec, recs)
		}
		before, _ := os.ReadFile(path)
		if _, err := NewKeyFile(path, alg); fault.CodeOf(err) != fault.Conflict || !strings.Contains(err.Error(), "not overwritten") {
			t.Fatalf("%s: second NewKeyFile: %v", alg, err)
		}
		if after, _ := os.ReadFile(path); string(after) != string(before) {
			t.Fatalf("%s: the existing key was overwritten", alg)
		}
	}
	if _, err := NewKeyFile(filepath.Join(t.TempDir(), "k"), "dsa"); fault.CodeOf(err) != fault.Invalid {
		t.Errorf("unknown algorithm: %v", err)
	}
}

func TestRecordName(t *testing.T) {
	if got := RecordName("mail2026", "example.org"); got != "mail2026._domainkey.example.org" {
		t.Errorf("RecordName = %q", got)
	}
}
