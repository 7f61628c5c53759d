package cli

import (
	"strings"
	"testing"

	"mailer/internal/smtptest"
)

// TestInternationalisedAddresses sends to an address with a Unicode domain
// and one with a Unicode local part, through a server without SMTPUTF8 and
// one with it: domains always go out as A-labels; the Unicode local part
// goes only with SMTPUTF8, and otherwise that one message fails with the
// reason and is not counted as the reader's bounce.
func TestInternationalisedAddresses(t *testing.T) {
	for _, utf8 := range []bool{false, true} {
		srv := smtptest.Start(t)
		if utf8 {
			srv = smtptest.StartSMTPUTF8(t)
		}
		e, _ := newSendEnvTo(t, 0, srv)
		e.mustRun("subscribers", "add", "bpf-updates", "ann@exämple.org", "zoë@exämple.org", "bob@example.org")
		out, errOut, code := e.run("send", "issue-06", "--yes")
		got := srv.ByRecipient()
		if got["ann@xn--exmple-cua.org"] != 1 || got["bob@example.org"] != 1 {
			t.Fatalf("utf8=%v: delivered %v (exit %d)\n%s%s", utf8, got, code, out, errOut)
		}
		for _, m := range srv.Messages() {
			if m.To[0] == "ann@xn--exmple-cua.org" && (!strings.Contains(string(m.Data), "\r\nTo: ann@xn--exmple-cua.org\r\n") ||
				!strings.Contains(m.From, "+ann=xn--exmple-cua.org@")) {
				t.Errorf("utf8=%v: ann's copy: envelope %q, header To not in A-labels", utf8, m.From)
			}
		}
		status := e.mustRun("status", "issue-06")
		if utf8 {
			if got["zoë@xn--exmple-cua.org"] != 1 || code != 0 {
				t.Fatalf("with SMTPUTF8: %v exit %d\n%s", got, code, status)
			}
			continue
		}
		if got["zoë@xn--exmple-cua.org"] != 0 || got["zoë@exämple.org"] != 0 {
			t.Fatalf("without SMTPUTF8 zoë's copy went out: %v", got)
		}
		if !strings.Contains(status, "does not offer SMTPUTF8") {
			t.Errorf("status does not give the reason:\n%s", status)
		}
		if b := e.mustRun("bounces", "ls", "bpf-updates"); strings.Contains(b, "zoë") {
			t.Errorf("the server's lack of SMTPUTF8 was scored as zoë's bounce:\n%s", b)
		}
		if m := e.mustRun("subscribers", "ls", "bpf-updates", "--status", "active"); !strings.Contains(m, "zoë@exämple.org") {
			t.Errorf("zoë is no longer active:\n%s", m)
		}
	}
}
