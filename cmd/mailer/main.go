// Command mailer is the newsletter and mailing-list delivery system.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"mailer/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// The first signal cancels the context so that commands stop cleanly
	// (a send finishes its messages in flight); a second one kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.SystemDeps(version), os.Args[1:])
	stop()
	os.Exit(code)
}
