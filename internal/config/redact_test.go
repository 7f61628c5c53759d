package config_test

import (
	"bytes"
	"strings"
	"testing"

	"mailer/internal/config"
)

func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"postgres://bob:hunter2@db.example:5433/mailer?sslmode=require":            "postgres://bob:(redacted)@db.example:5433/mailer?sslmode=require",
		"postgresql://bob@db.example/mailer?password=hunter2&application_name=m":   "postgresql://bob@db.example/mailer?password=(redacted)&application_name=m",
		"postgres://bob@/mailer?host=/run/pg&sslpassword=hunter2&PASSWORD=hunter2": "postgres://bob@/mailer?host=/run/pg&sslpassword=(redacted)&PASSWORD=(redacted)",
		"postgres://bob:hunter2@[::1/mailer":                                       "postgres://(redacted)",
		"postgres://bob@db.example/mailer":                                         "postgres://bob@db.example/mailer",
		"data/mailer.db":                                                           "data/mailer.db",
	}
	for in, want := range cases {
		if got := config.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) =\n %q\nwant\n %q", in, got, want)
		}
	}
}

func TestPrintedConfigRedactsDatabasePassword(t *testing.T) {
	file := "secret = \"" + validSecret + "\"\ndatabase = \"postgres://bob:hunter2@db.example/m?password=hunter2\"\n"
	cfg, err := config.Parse("mailer.toml", []byte(file), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := cfg.WriteTOML(&buf); err != nil {
		t.Fatal(err)
	}
	for _, e := range cfg.Entries() {
		buf.WriteString(e.Value + "\n")
	}
	if strings.Contains(buf.String(), "hunter2") || !strings.Contains(buf.String(), "bob:(redacted)@db.example") {
		t.Fatalf("printed:\n%s", buf.String())
	}
	if !strings.Contains(cfg.DatabasePath(), "hunter2") {
		t.Fatal("redaction changed the setting mailer connects with")
	}
}
