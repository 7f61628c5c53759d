package delivery_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"mailer/internal/delivery"
)

// TestThrottleReplies classifies the providers' own replies (testdata,
// with their sources): the rate limits of SES, Gmail and Microsoft are
// throttles; a quota, greylisting, a per-recipient limit or a 5xx is not.
func TestThrottleReplies(t *testing.T) {
	data, err := os.ReadFile("testdata/throttle-replies.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "|", 3)
		code, err := strconv.Atoi(f[1])
		if len(f) != 3 || err != nil {
			t.Fatalf("bad line %q", line)
		}
		// As smtpsend reads a reply: the enhanced code is the first word.
		re := &delivery.ReplyError{Stage: "RCPT", Code: code, Message: f[2]}
		if w := strings.Fields(f[2]); len(w) > 0 && strings.Count(w[0], ".") == 2 {
			re.Enhanced = w[0]
		}
		if got := re.Throttle(); got != (f[0] == "throttle") {
			t.Errorf("%d %s: throttle %v, want %s", code, f[2], got, f[0])
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d replies read", n)
	}
}
