package maildir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"mailer/internal/delivery"
)

func TestDeliversIntoNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	s, err := (&Transport{Dir: dir}).Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"a@example.org", "b@example.org"} {
		if err := delivery.SendOne(s, "news-bounces+x@lists.example.org", to, []byte("Subject: hi\r\n\r\nbody\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := os.ReadDir(filepath.Join(dir, "new"))
	tmp, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(files) != 2 || len(tmp) != 0 {
		t.Fatalf("new has %d files, tmp %d", len(files), len(tmp))
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "new", files[0].Name()))
	if !strings.HasPrefix(string(raw), "Return-Path: <news-bounces+x@lists.example.org>\r\nDelivered-To: ") || !strings.HasSuffix(string(raw), "body\r\n") {
		t.Fatalf("file:\n%s", raw)
	}
	if files[0].Name() == files[1].Name() {
		t.Fatal("file names repeat")
	}
}

func TestFullDiskIsTemporary(t *testing.T) {
	err := classify(&os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC})
	var re *delivery.ReplyError
	if !errors.As(err, &re) || !re.Temporary() {
		t.Fatalf("ENOSPC -> %v, want a temporary reply", err)
	}
}

func TestUnwritableMaildirFailsToDial(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := (&Transport{Dir: filepath.Join(file, "Maildir")}).Dial(context.Background()); err == nil {
		t.Fatal("a Maildir under a file was accepted")
	}
}
