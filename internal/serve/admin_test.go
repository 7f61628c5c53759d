package serve

import (
	"net/http"
	"strings"
	"testing"
)

// adminPaths are what only the owners' listener serves.
var adminPaths = []string{"/api/v1/lists", "/api/v1/openapi.json", "/metrics", "/login", "/logout", "/lists/news", "/sends", "/sends/1"}

// TestAdminListenerApart: the owners' console, API and metrics have a
// listener of their own; the readers' listener answers 404 for every one
// of their paths, whatever the method.
func TestAdminListenerApart(t *testing.T) {
	out := &syncBuffer{}
	addrs, stop := startRun(t, newApp(t), Options{HTTP: "127.0.0.1:0", Admin: "127.0.0.1:0", NoDeliver: true, Out: out})
	defer stop()
	if addrs.Admin == "" || addrs.Admin == addrs.HTTP {
		t.Fatalf("admin listener %q, web %q", addrs.Admin, addrs.HTTP)
	}
	res, err := http.Get("http://" + addrs.Admin + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("admin healthz: %v %+v", err, res)
	}
	res.Body.Close()
	for _, p := range adminPaths {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			req, _ := http.NewRequest(method, "http://"+addrs.HTTP+p, strings.NewReader("{}"))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("the readers' listener answered %s %s with %d, want 404", method, p, res.StatusCode)
			}
		}
	}
	if !strings.Contains(out.String(), "Serving the owners' console, API and metrics on http://"+addrs.Admin+"/") {
		t.Errorf("output: %s", out)
	}
}
