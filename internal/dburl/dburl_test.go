package dburl

import (
	"slices"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://bob:s3cr%40t@db:5432/m?sslmode=require":    "postgres://bob:(redacted)@db:5432/m?sslmode=require",
		"postgresql://db/m?password=s3cr3t&application_name=x": "postgresql://db/m?password=(redacted)&application_name=x",
		"postgres://db/m?sslpassword=k&PASSWORD=p":             "postgres://db/m?sslpassword=(redacted)&PASSWORD=(redacted)",
		"postgres://bob@db/m":                                  "postgres://bob@db/m",
		"postgres://bob:pw@db:bad port/m":                      "postgres://(redacted)",
		"/var/lib/mailer/mailer.db":                            "/var/lib/mailer/mailer.db",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
		for _, pw := range []string{"s3cr@t", "s3cr%40t", "s3cr3t", "pw"} {
			if strings.Contains(Redact(in), ":"+pw+"@") || strings.Contains(Redact(in), "="+pw) {
				t.Errorf("Redact(%q) shows %q", in, pw)
			}
		}
	}
}

func TestSecrets(t *testing.T) {
	got := Secrets("postgres://bob:s3cr%40t@db/m?password=p%26q&sslmode=disable")
	for _, want := range []string{"s3cr%40t", "s3cr@t", "p%26q", "p&q"} {
		if !slices.Contains(got, want) {
			t.Errorf("Secrets lacks %q: %q", want, got)
		}
	}
	if s := Secrets("/var/lib/mailer/mailer.db"); s != nil {
		t.Errorf("a file path has secrets %q", s)
	}
}
