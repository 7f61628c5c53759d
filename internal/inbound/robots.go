package inbound

import (
	"bytes"
	"strings"

	"mailer/internal/bounce"
)

// robotLocals are the local parts of mail systems and list managers. RFC
// 3834 and the practice of majordomo and Mailman: never answer them, an
// answer either loops or lands in a robot's queue.
var robotLocals = []string{"mailer-daemon", "mailer_daemon", "maildaemon", "postmaster", "listserv", "majordomo",
	"majordom", "listproc", "mailman", "noreply", "no-reply", "donotreply", "do-not-reply", "nobody", "bounce", "bounces"}

// robotAddress says whether an address belongs to a robot: the locals
// above (also with +detail or -suffix), owner-LIST, and LIST-request,
// -bounces, -owner, -admin of other lists.
func robotAddress(addr string) bool {
	addr = strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
	if addr == "" {
		return true // the null sender
	}
	local := addr
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		local = addr[:at]
	}
	base, _, _ := strings.Cut(local, "+")
	for _, r := range robotLocals {
		if base == r || strings.HasPrefix(base, r+"-") {
			return true
		}
	}
	if strings.HasPrefix(base, "owner-") {
		return true
	}
	for _, suf := range []string{"-request", "-bounces", "-bounce", "-owner", "-admin"} {
		if strings.HasSuffix(base, suf) {
			return true
		}
	}
	return false
}

// deliveryReport says why raw looks like a delivery report (a bounce or a
// delay warning), or "": a report goes to bounce processing, never to the
// command reader, whose answer would quote it back to a robot.
func deliveryReport(raw []byte, m *Message) string {
	ct := strings.ToLower(m.Header.Get("Content-Type"))
	switch {
	case strings.HasPrefix(ct, "multipart/report"):
		return "a multipart/report"
	case m.Header.Get("X-Failed-Recipients") != "":
		return "X-Failed-Recipients present"
	case bytes.Contains(bytes.ToLower(raw), []byte("message/delivery-status")):
		return "a message/delivery-status part"
	}
	switch bounce.Parse(raw).Kind {
	case bounce.Hard, bounce.Soft, bounce.Delay:
		return "a delivery report"
	}
	return ""
}
