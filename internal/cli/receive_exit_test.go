package cli

import (
	"errors"
	"fmt"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/inbound"
)

// TestReceiveExitCodeTable is the MTA pipe's mapping (sysexits.h): only an
// address that is none of ours and a post to an announce-only list are
// permanent; every other failure, ours included, is 75 so that the MTA
// keeps the mail and tries again.
func TestReceiveExitCodeTable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{&fault.Error{Code: fault.NotFound, Err: inbound.ErrUnknownRecipient}, 67},
		{fmt.Errorf("handle: %w", &fault.Error{Code: fault.Invalid, Err: inbound.ErrAnnounceOnly}), 77},
		{fault.Errorf(fault.Invalid, "malformed"), 75},
		{&fault.Error{Code: fault.Unavailable, Err: inbound.ErrHeld}, 75}, // the site-wide answer cap: held, not lost
		{fault.Errorf(fault.NotFound, "no config file"), 75},
		{fault.Errorf(fault.Conflict, "clash"), 75},
		{fault.Errorf(fault.Unavailable, "database busy"), 75},
		{fault.Errorf(fault.Internal, "bug"), 75},
		{errors.New("uncoded"), 75},
	} {
		if got := receiveExitCode(c.err); got != c.want {
			t.Errorf("receiveExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
