package mtaserver_test

import (
	"testing"

	"mailer/internal/fault"
	"mailer/internal/inbound"
	"mailer/internal/mtaserver"
)

// TestHeldIsTryAgainLater: the site-wide answer cap holds a mail in the
// MTA's queue (451 4.7.1), never bounces it.
func TestHeldIsTryAgainLater(t *testing.T) {
	r := mtaserver.Reply(&fault.Error{Code: fault.Unavailable, Err: inbound.ErrHeld, Message: "cap"})
	if r.Code != 451 || r.EnhancedCode != [3]int{4, 7, 1} {
		t.Fatalf("reply %d %v, want 451 4.7.1", r.Code, r.EnhancedCode)
	}
	if r := mtaserver.Reply(fault.Errorf(fault.Unavailable, "db busy")); r.Code != 451 || r.EnhancedCode != [3]int{4, 3, 0} {
		t.Fatalf("other trouble: %d %v", r.Code, r.EnhancedCode)
	}
}
