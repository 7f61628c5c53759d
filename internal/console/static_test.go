package console_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var assetLink = regexp.MustCompile(`(?:href|src)="(/static/console\.[0-9a-f]{8}\.(?:css|js))"`)

// The stylesheet and the script are served under hashed names, cached
// for a year, revalidated by ETag; the pages carry the security headers.
func TestStaticFilesAndHeaders(t *testing.T) {
	e := newEnv(t)
	login := e.get("/login", "")
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if got := login.header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if csp := login.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	links := assetLink.FindAllStringSubmatch(login.body, -1)
	if len(links) != 2 {
		t.Fatalf("login page links %d hashed files, want 2:\n%s", len(links), login.body)
	}
	for _, l := range links {
		a := e.get(l[1], "")
		if a.status != http.StatusOK || a.header.Get("Cache-Control") != "public, max-age=31536000, immutable" || a.header.Get("ETag") == "" {
			t.Errorf("%s: %d, Cache-Control %q, ETag %q", l[1], a.status, a.header.Get("Cache-Control"), a.header.Get("ETag"))
		}
		req, _ := http.NewRequest("GET", e.ts.URL+l[1], nil)
		req.Header.Set("If-None-Match", a.header.Get("ETag"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d, want 304", l[1], resp.StatusCode)
		}
	}
	if a := e.get("/static/console.00000000.css", ""); a.status != http.StatusNotFound {
		t.Errorf("an unknown static file: %d", a.status)
	}
}
