package render

import (
	"strings"
	"testing"
)

// Every copy carries the member header (the reader's signed token) and
// the send's Feedback-ID, which reads back to the send.
func TestMemberAndFeedbackHeaders(t *testing.T) {
	rd, err := mustRenderer(t).Render(mustIssue06(t), bpfList)
	if err != nil {
		t.Fatal(err)
	}
	r := alice
	r.FeedbackID = FeedbackID(42, "bpf-updates", MailIssue)
	raw, err := rd.Message.Personalise(nil, r)
	if err != nil {
		t.Fatal(err)
	}
	h := parseMessage(t, raw).Header
	if got := h.Get(MemberHeader); got != alice.Token {
		t.Errorf("%s = %q, want the token %q", MemberHeader, got, alice.Token)
	}
	if got := h.Get("Feedback-ID"); got != "s42:bpf-updates:issue:mailer" || ParseFeedbackID(got) != 42 {
		t.Errorf("Feedback-ID = %q", got)
	}
	r.FeedbackID = "a\r\nBcc: x@example.org"
	if _, err := rd.Message.Personalise(nil, r); err == nil {
		t.Error("a line break in the Feedback-ID was written")
	}
}

// Gmail's format: four fields, SenderId last, no colon inside a field, and
// only our own values read back as a send.
func TestFeedbackIDFormat(t *testing.T) {
	for _, c := range []struct {
		send       int64
		list, kind string
		want       string
	}{
		{0, "", "confirm", "::confirm:mailer"},
		{7, "we:ird list", "issue", "s7:weirdlist:issue:mailer"},
		{1, "news", "notice", "s1:news:notice:mailer"},
	} {
		got := FeedbackID(c.send, c.list, c.kind)
		if got != c.want || len(strings.Split(got, ":")) != 4 {
			t.Errorf("FeedbackID(%d, %q, %q) = %q, want %q", c.send, c.list, c.kind, got, c.want)
		}
		if ParseFeedbackID(got) != c.send {
			t.Errorf("ParseFeedbackID(%q) = %d", got, ParseFeedbackID(got))
		}
	}
	for _, v := range []string{"", "s1:news:issue:other", "s-1:news:issue:mailer", "s01:x:y:mailer", "x:y:z", "s9x:a:b:mailer"} {
		if id := ParseFeedbackID(v); id != 0 {
			t.Errorf("ParseFeedbackID(%q) = %d, want 0", v, id)
		}
	}
}
