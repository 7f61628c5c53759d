package cli

import (
	"errors"

	"mailer/internal/inbound"
)

// Exit codes for `mailer receive`, read by the MTA (sysexits.h).
const (
	exNoUser   = 67 // EX_NOUSER: not one of our addresses; the MTA bounces
	exNoPerm   = 77 // EX_NOPERM: a post to an announce-only list; the MTA bounces with our reason
	exTempFail = 75 // EX_TEMPFAIL: try again later
)

// receiveExitCode maps a handler error for an MTA pipe. Only two answers
// are permanent: the address is none of ours, and a post to an
// announce-only list. Anything else, our own trouble included (a config or
// database we cannot read, a missing directory, a bug), is a temporary
// failure: the MTA keeps the mail and a command is never lost. 75 and not
// 78 (EX_CONFIG): Exim's pipe retries only 75 and 73 by default. The
// site-wide answer cap (inbound.ErrHeld) is 75 on purpose: the request is
// held in the MTA's queue until the hour's budget allows it, never lost.
func receiveExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, inbound.ErrUnknownRecipient):
		return exNoUser
	case errors.Is(err, inbound.ErrAnnounceOnly):
		return exNoPerm
	case errors.Is(err, inbound.ErrHeld):
		return exTempFail
	}
	return exTempFail
}
