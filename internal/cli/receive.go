package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"mailer/internal/fault"
	"mailer/internal/inbound"
)

// ReceiveOptions are the inputs of `mailer receive`.
type ReceiveOptions struct {
	Deps      *Deps
	Recipient string
	Sender    string
	SenderSet bool // --sender was given, even as "": the null sender
}

// exitCodeError carries a sysexits code through cobra to Run.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }

func newCmdReceive(d *Deps, runF func(context.Context, *ReceiveOptions) error) *cobra.Command {
	opts := &ReceiveOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "receive",
		Short: "Handle one mail from standard input (for an MTA pipe)",
		Long: `receive reads one message on standard input, as an MTA pipe delivers it,
and acts on it: commands to majordomo@ and LIST-request@, the act of
LIST-subscribe@ and LIST-unsubscribe@, confirmations to LIST-confirm+CODE@,
one-click unsubscribes to LIST-unsubscribe+TOKEN@, and bounces to
LIST-bounces@, which are kept.

The recipient comes from --recipient, else $ORIGINAL_RECIPIENT or $RECIPIENT
(set by Postfix's pipe), else the Delivered-To, X-Original-To or To header.
The envelope sender comes from --sender, else $SENDER.

Exit codes, for the MTA: 0 handled (also when ignored or dropped as
malformed), 67 not one of our addresses, 77 a post to an announce-only list,
75 for everything else: try again later (database busy, disk full, a config
or database this user cannot read, a missing directory); the MTA keeps the
mail, and the reason is on standard error.`,
		Example: `  # Postfix master.cf (see README.md, "Hooking up the MTA"):
  mailer unix - n n - - pipe
    flags=R user=mailer argv=/usr/local/bin/mailer --config /srv/mailer/mailer.toml receive --recipient ${original_recipient} --sender ${sender}
  # by hand:
  mailer receive --recipient majordomo@lists.example.org < request.eml`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.SenderSet = cmd.Flags().Changed("sender")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return receiveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Recipient, "recipient", "", "the address the mail was delivered to")
	cmd.Flags().StringVar(&opts.Sender, "sender", "", "the envelope sender (\"\" or <> for a bounce)")
	return cmd
}

func receiveRun(ctx context.Context, opts *ReceiveOptions) (err error) {
	d := opts.Deps
	log := slog.New(slog.NewTextHandler(d.ErrOut, nil))
	fail := func(err error) error {
		log.Error("mail not handled", "err", err)
		return &exitCodeError{code: receiveExitCode(err), err: err}
	}
	defer func() {
		// A bug must not make the MTA bounce a reader's mail: 70
		// (EX_SOFTWARE) is permanent to Postfix, so this is 75 too.
		if r := recover(); r != nil {
			fault.Recovered(r)
			err = fail(fault.Errorf(fault.Internal, "internal error (a bug; the MTA keeps the mail): %v", r))
		}
	}()
	in, err := d.App(ctx, log)
	if err != nil {
		return fail(err)
	}
	h, db, cfg := in.Inbound, in.DB, in.Config
	defer db.Close()
	raw, err := io.ReadAll(io.LimitReader(d.In, int64(cfg.Inbound.MaxMessageBytes)+1))
	if err != nil {
		return fail(fault.Wrap(fault.Unavailable, err, "read standard input"))
	}
	dl := inbound.Delivery{Raw: raw, Recipient: opts.Recipient, Sender: opts.Sender, SenderKnown: opts.SenderSet || opts.Sender != ""}
	if dl.Recipient == "" {
		dl.Recipient = firstNonEmpty(d.Getenv("ORIGINAL_RECIPIENT"), d.Getenv("RECIPIENT"), inbound.RecipientFromHeaders(raw, string(cfg.ListHost)))
	}
	if !dl.SenderKnown {
		if s, ok := lookupEnv(d, "SENDER"); ok {
			dl.Sender, dl.SenderKnown = s, true
		}
	}
	if dl.Recipient == "" {
		// A hook-up that passes no recipient is ours to fix: keep the mail.
		return fail(fault.Errorf(fault.Unavailable, "no recipient: pass --recipient or set RECIPIENT (ORIGINAL_RECIPIENT with Postfix's pipe)"))
	}
	res, err := h.Handle(ctx, dl)
	if err != nil {
		return fail(err)
	}
	log.Info("mail handled", "rcpt", dl.Recipient, "outcome", res.Outcome, "detail", res.Detail)
	return nil
}

// lookupEnv tells an empty variable (the null sender) from a missing one.
func lookupEnv(d *Deps, name string) (string, bool) {
	if d.LookupEnv != nil {
		return d.LookupEnv(name)
	}
	v := d.Getenv(name)
	return v, v != ""
}

// exitCodeOf unwraps a receive exit code.
func exitCodeOf(err error) (int, bool) {
	var ec *exitCodeError
	if errors.As(err, &ec) {
		return ec.code, true
	}
	return 0, false
}
