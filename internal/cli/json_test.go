package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestJSONEverywhere: every command that reports something gives JSON
// with --json, and standard output then holds nothing but that JSON.
func TestJSONEverywhere(t *testing.T) {
	e, _ := newSendEnv(t, 2)
	decode := func(args ...string) any {
		t.Helper()
		out, errOut, code := e.run(append(args, "--json")...)
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("mailer %s --json (exit %d): not JSON alone on stdout: %v\n%s\nstderr:\n%s", strings.Join(args, " "), code, err, out, errOut)
		}
		return v
	}
	l := decode("lists", "create", "news", "--title", "News").(map[string]any)
	if l["name"] != "news" {
		t.Errorf("lists create: %v", l)
	}
	if l := decode("lists", "edit", "news", "--title", "The News").(map[string]any); l["title"] != "The News" {
		t.Errorf("lists edit: %v", l)
	}
	adds := decode("subscribers", "add", "news", "a@example.org", "bad address").([]any)
	if len(adds) != 2 || adds[0].(map[string]any)["changed"] != true || adds[1].(map[string]any)["error"] == nil {
		t.Errorf("subscribers add: %v", adds)
	}
	if rm := decode("subscribers", "rm", "news", "a@example.org").([]any); rm[0].(map[string]any)["to"] != "unsubscribed" {
		t.Errorf("subscribers rm: %v", rm)
	}
	k := decode("dkim", "keygen", "--selector", "s9", "--domain", "example.org", "-o", filepath.Join(e.dir, "k.key")).(map[string]any)
	if k["key_file"] != "k.key" || !strings.HasPrefix(k["txt"].(string), "v=DKIM1;") {
		t.Errorf("dkim keygen: %v", k)
	}
	s := decode("send", "issue-06", "--yes").(map[string]any)
	if s["issue"] != "issue-06" || s["sent"].(float64) != 3 || s["finished"] != true {
		t.Errorf("send: %v", s)
	}
}
