package inbound

import (
	"regexp"
	"strings"
)

// Command is one parsed command line.
type Command struct {
	Raw     string // the line as written, for the transcript
	Verb    string // subscribe, unsubscribe, confirm, which, who, info, lists, help, end
	List    string
	Address string
	Token   string
	Problem string // why the line could not be parsed; Verb is then "" or the verb
}

// verbs maps every accepted spelling to its command.
var verbs = map[string]string{
	"subscribe": "subscribe", "sub": "subscribe", "join": "subscribe",
	"unsubscribe": "unsubscribe", "unsub": "unsubscribe", "signoff": "unsubscribe", "leave": "unsubscribe",
	"confirm": "confirm", "which": "which", "who": "who", "info": "info", "lists": "lists", "help": "help",
	"end": "end", "stop": "end", "quit": "end", "exit": "end",
}

// CommandLines returns the lines of text that may hold commands: blank
// lines and quoted ("> ") lines are skipped, and reading stops at a
// signature delimiter. When the body has no such line, the Subject is used
// (without "Re:").
func CommandLines(text, subject string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "-- " || line == "--" {
			break
		}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, ">") {
			continue
		}
		out = append(out, t)
	}
	if code := codeInSubject.FindString(subject); code != "" {
		// A reply to a confirmation request keeps "(confirm CODE)" in its
		// Subject, whatever the body says (Mailman reads it the same way).
		out = append([]string{code}, out...)
	}
	if len(out) == 0 {
		s := strings.TrimSpace(subject)
		for _, p := range []string{"re:", "aw:", "fwd:", "fw:"} {
			if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
				s = strings.TrimSpace(s[len(p):])
			}
		}
		if s != "" && !strings.HasPrefix(s, ">") {
			out = append(out, s)
		}
	}
	return out
}

// codeInSubject finds "confirm CODE" in a Subject: CODE is 24 letters of
// lower-case base32, as optin makes them.
var codeInSubject = regexp.MustCompile(`(?i)\bconfirm\s+[a-z2-7]{24}\b`)

// confirmToken is the code among a confirm command's words: the first of
// them, or, in a Subject such as "Confirm: subscribe a@b to X (confirm
// CODE)", the word that looks like a code.
func confirmToken(args []string) string {
	for _, a := range args {
		a = strings.ToLower(strings.Trim(a, "()[]<>.,;:\"'"))
		if len(a) == 24 && strings.Trim(a, "abcdefghijklmnopqrstuvwxyz234567") == "" {
			return a
		}
	}
	if len(args) > 0 {
		return strings.ToLower(args[0])
	}
	return ""
}

// ParseCommand reads one line. defaultList is the list of a LIST-request@
// address, where "subscribe" alone means that list.
func ParseCommand(line, defaultList string) Command {
	c := Command{Raw: line}
	f := strings.Fields(line)
	if len(f) == 0 {
		c.Problem = "empty line"
		return c
	}
	verb, ok := verbs[strings.ToLower(strings.TrimRight(f[0], ".:,;!"))]
	if !ok {
		c.Problem = "unknown"
		return c
	}
	c.Verb = verb
	args := f[1:]
	switch verb {
	case "subscribe", "unsubscribe":
		// LIST [ADDRESS]; on LIST-request@ also nothing, or just ADDRESS.
		switch {
		case len(args) == 0 && defaultList != "":
			c.List = defaultList
		case len(args) == 0:
			c.Problem = "needs-list"
		case len(args) == 1 && defaultList != "" && strings.Contains(args[0], "@"):
			c.List, c.Address = defaultList, args[0]
		default:
			c.List = strings.ToLower(args[0])
			c.Address = strings.Join(args[1:], " ")
		}
	case "confirm":
		c.Token = confirmToken(args)
		if c.Token == "" {
			c.Problem = "needs-token"
		}
	case "which":
		c.Address = strings.Join(args, " ")
	case "who", "info":
		switch {
		case len(args) > 0:
			c.List = strings.ToLower(args[0])
		case defaultList != "":
			c.List = defaultList
		default:
			c.Problem = "needs-list"
		}
	}
	return c
}
