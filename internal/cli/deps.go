// Package cli holds mailer's cobra commands. Each command has an options
// struct, a newCmdX constructor that parses flags into it, and an xRun
// function that does the work, so that tests can check parsing and running
// apart. Commands only parse flags, call one workflow and print; the
// service graph they call is built by internal/app.
package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/user"
	"time"

	"golang.org/x/term"

	"mailer/internal/app"
	"mailer/internal/config"
	"mailer/internal/store"
)

// Deps is what commands need from the outside world; tests fill it with
// buffers, a fake environment and a fixed clock.
type Deps struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	Getenv func(string) string
	// LookupEnv tells an empty variable from a missing one; nil falls back
	// to Getenv.
	LookupEnv func(string) (string, bool)
	Now       func() time.Time
	// Operator names the person running the command, for the audit log.
	Operator func() string
	Version  string
	// InteractiveIn reports whether standard input is a terminal (a person
	// can answer a question); InteractiveErr whether standard error is one
	// (a progress bar can be drawn).
	InteractiveIn, InteractiveErr func() bool

	// configFlag is bound to the global --config flag.
	configFlag string
}

// SystemDeps returns Deps for the real process.
func SystemDeps(version string) *Deps {
	return &Deps{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		Getenv: os.Getenv, LookupEnv: os.LookupEnv, Now: time.Now, Operator: currentUser, Version: version,
		InteractiveIn:  func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
		InteractiveErr: func() bool { return term.IsTerminal(int(os.Stderr.Fd())) },
	}
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// ConfigPath is the config file this invocation uses.
func (d *Deps) ConfigPath() string { return config.PathFrom(d.configFlag, d.Getenv) }

// Config loads the configuration.
func (d *Deps) Config() (*config.Config, error) { return config.Load(d.ConfigPath(), d.Getenv) }

// OpenStore loads the configuration and opens its database.
func (d *Deps) OpenStore(ctx context.Context) (*store.DB, error) {
	cfg, err := d.Config()
	if err != nil {
		return nil, err
	}
	return app.OpenStore(ctx, cfg, d.Now)
}

// App loads the configuration, opens its database and builds the service
// graph on it, logging to log; the caller closes it.
func (d *Deps) App(ctx context.Context, log *slog.Logger) (*app.App, error) {
	cfg, err := d.Config()
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, cfg, app.Options{Now: d.Now, Logger: log, Version: d.Version})
}

// adminEvidence is the audit evidence for a change made from the command line.
func (d *Deps) adminEvidence(source store.Source, reason string) store.Evidence {
	return store.Evidence{Source: source, Operator: d.Operator(), Reason: reason}
}
