package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestListsCreateDefaultsToSiteOwner: the owner given to mailer init
// --owner owns a list created without --owner, and the output says so; an
// explicit --owner wins and no site owner is claimed.
func TestListsCreateDefaultsToSiteOwner(t *testing.T) {
	e := newTestEnv(t) // init --owner owner@example.org
	out := e.mustRun("lists", "create", "news")
	if !strings.Contains(out, "Owner: owner@example.org, the site owner") {
		t.Errorf("create without --owner does not name the site owner:\n%s", out)
	}
	owners := func(name string) []string {
		var l struct {
			Owners []string `json:"owners"`
		}
		if err := json.Unmarshal([]byte(e.mustRun("lists", "show", name, "--json")), &l); err != nil {
			t.Fatal(err)
		}
		return l.Owners
	}
	if got := owners("news"); len(got) != 1 || got[0] != "owner@example.org" {
		t.Errorf("owners of news: %q, want the site owner", got)
	}
	out = e.mustRun("lists", "create", "other", "--owner", "alex@example.org")
	if strings.Contains(out, "site owner") {
		t.Errorf("an explicit --owner reported as the site owner:\n%s", out)
	}
	if got := owners("other"); len(got) != 1 || got[0] != "alex@example.org" {
		t.Errorf("owners of other: %q, want alex@example.org alone", got)
	}
}

// TestListsCreateWithoutSiteOwner: with no owner in the config the list
// has none, as before, and nothing is claimed.
func TestListsCreateWithoutSiteOwner(t *testing.T) {
	e := newTestEnv(t)
	raw, err := os.ReadFile(filepath.Join(e.dir, "mailer.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "owner = \"owner@example.org\"\n", "", 1)
	if cfg == string(raw) {
		t.Fatal("the config init wrote has no owner line to remove")
	}
	e.write("mailer.toml", cfg)
	out := e.mustRun("lists", "create", "news")
	if strings.Contains(out, "Owner:") {
		t.Errorf("owner claimed with none configured:\n%s", out)
	}
}
