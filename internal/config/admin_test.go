package config_test

import (
	"strings"
	"testing"
	"time"

	"mailer/internal/config"
)

// TestAdminSection: the console's listener is on loopback by default, the
// environment moves it (MAILER_ADMIN_LISTEN) or turns it off with the
// file, and sessions that would never end, or end idle after their
// lifetime, are refused naming the key.
func TestAdminSection(t *testing.T) {
	cfg, err := config.Parse("mailer.toml", []byte(""), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Admin
	if a.Listen != "127.0.0.1:8081" || time.Duration(a.SessionIdle) != 30*time.Minute || time.Duration(a.SessionMax) != 12*time.Hour {
		t.Fatalf("defaults %+v", a)
	}
	cfg, err = config.Parse("mailer.toml", []byte("[admin]\nlisten = \"\"\n"), envOf(map[string]string{"MAILER_ADMIN_LISTEN": "127.0.0.1:9999"}))
	if err != nil || cfg.Admin.Listen != "127.0.0.1:9999" {
		t.Fatalf("env override: %+v %v", cfg.Admin, err)
	}
	if cfg, err := config.Parse("mailer.toml", []byte("[admin]\nlisten = \"\"\n"), envOf(nil)); err != nil || cfg.Admin.Listen != "" {
		t.Fatalf("turned off: %+v %v", cfg.Admin, err)
	}
	for file, key := range map[string]string{
		"[admin]\nsession_idle = \"0s\"\n":                       "admin.session_idle",
		"[admin]\nsession_idle = \"2h\"\nsession_max = \"1h\"\n": "admin.session_max",
	} {
		if _, err := config.Parse("mailer.toml", []byte(file), envOf(nil)); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: %v, want an error naming %s", file, err, key)
		}
	}
}
