// Package browsertest starts headless Chromium for tests that must see a
// page as a reader's browser does. It uses the system's Chromium (Debian
// package chromium, installed by .ci/run) and keeps it off the network: only
// loopback addresses resolve.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ExecPath finds the browser: $MAILER_CHROMIUM, else chromium on PATH.
func ExecPath() (string, error) {
	if p := os.Getenv("MAILER_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// New starts a browser for tb and returns a context for chromedp actions,
// with a time limit so that a hung browser fails the test instead of CI.
func New(tb testing.TB) context.Context {
	tb.Helper()
	path, err := ExecPath()
	if err != nil {
		tb.Fatalf("headless Chromium is needed for this test and was not found (apt-get install chromium, as .ci/run does, or set MAILER_CHROMIUM): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("hide-scrollbars", true),
		// No name resolves except loopback: a page that tries to load
		// anything from elsewhere fails instead of reaching the network.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	tb.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// ArtifactPath returns where a test keeps a file for people to look at:
// $MAILER_ARTIFACTS if set, else testdata/artifacts (ignored by git).
func ArtifactPath(tb testing.TB, name string) string {
	tb.Helper()
	dir := os.Getenv("MAILER_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// Screenshot keeps the whole page as the test's artifact name (see
// ArtifactPath) and returns where, for the test log; a page that cannot
// be shot or kept fails the test.
func Screenshot(ctx context.Context, tb testing.TB, name string) string {
	tb.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Fatalf("screenshot %s: %v", name, err)
	}
	path := ArtifactPath(tb, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}
