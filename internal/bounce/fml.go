package bounce

import (
	"regexp"
	"strings"
)

// fml (the mailing list manager of fml.org, 4.x) answers a post it will
// not distribute with a notice of its own, not a DSN: X-MLServer: fml,
// From the list's -admin address, a Message-Id of the form
// <date.FMLxxxx.list@domain>. The list that refused the message is named
// in angle brackets at the end of a line of the notice ("You are not a
// member of this mailing list <list@example.org>.", "Duplicated
// Message-ID in <list@example.com>."), above "Original mail as follows:".
var (
	fmlListRe     = regexp.MustCompile(`(?m)<([^\s<>]+@[^\s<>]+)>\.[ \t]*$`)
	fmlOriginalRe = regexp.MustCompile(`(?m)^[ \t]*Original mail as follows:`)
)

// Words of fml's notices that refuse the sender for good; its other
// notices (a mail loop, a duplicated Message-ID) refuse one message.
var fmlRefusals = []string{"not a member", "not member", "reject"}

// fromFML reads an fml notice; ok is false for any other message.
func fromFML(m *message) (Report, bool) {
	h := m.header
	if !strings.HasPrefix(asciiLower(strings.TrimSpace(h.Get("X-MLServer"))), "fml") ||
		!strings.Contains(asciiLower(h.Get("From")), "-admin@") ||
		!strings.Contains(h.Get("Message-Id"), ".FML") {
		return Report{}, false
	}
	text := m.reportText()
	if loc := fmlOriginalRe.FindStringIndex(text); loc != nil {
		text = text[:loc[0]]
	}
	kind := Soft
	if containsAny(asciiLower(text+"\n"+decodeHeader(h.Get("Subject"))), fmlRefusals) {
		kind = Hard
	}
	var fs []Failure
	for _, loc := range fmlListRe.FindAllStringSubmatchIndex(text, -1) {
		if c, ok := cleanCandidate(text[loc[2]:loc[3]]); ok {
			fs = add(fs, Failure{Recipient: c, Kind: kind, Diagnostic: oneLine(lineAt(text, loc[0]))})
		}
	}
	if len(fs) == 0 {
		return Report{}, false
	}
	return Report{Kind: worst(fs), Failures: fs}, true
}

// lineAt is the line of text holding offset i.
func lineAt(text string, i int) string {
	start := strings.LastIndexByte(text[:i], '\n') + 1
	end := strings.IndexByte(text[i:], '\n')
	if end < 0 {
		return text[start:]
	}
	return text[start : i+end]
}
