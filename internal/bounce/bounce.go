// Package bounce reads bounce messages: RFC 3464 delivery status
// notifications, and the plain-text reports of MTAs and mailbox providers
// that send none (qmail, Exim, Sendmail, Exchange, Gmail, Yahoo, Outlook).
// It tells hard bounces (the address is bad) from soft ones (a full
// mailbox, a failure that may pass), and knows that delay warnings and
// vacation replies are not bounces.
package bounce

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
)

// Kind is how bad a bounce is.
type Kind string

// Kinds of bounce.
const (
	Hard Kind = "hard" // the address does not work: counts 1
	Soft Kind = "soft" // it may work later (mailbox full, gave up retrying): counts 0.5
)

// Result is what a message says.
type Result struct {
	Bounce    bool
	Kind      Kind
	Recipient string // the address that bounced; "" when the report names none
	Status    string // RFC 3463 status, e.g. 5.1.1, when known
	Reason    string // one line for people
}

// MaxSize bounds the part of a message read.
const MaxSize = 256 << 10

// Parse reads one message. It never fails: what it cannot read is not a
// bounce it can use.
func Parse(raw []byte) (res Result) {
	defer func() {
		if recover() != nil {
			res = Result{}
		}
	}()
	if len(raw) > MaxSize {
		raw = raw[:MaxSize]
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Result{}
	}
	if isVacation(msg.Header) {
		return Result{Reason: "auto-reply, not a bounce"}
	}
	mt, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if mt == "multipart/report" {
		if r, ok := fromDSN(msg.Body, params["boundary"]); ok {
			return r
		}
		// A report without a usable status part: read its text.
		msg, _ = mail.ReadMessage(bytes.NewReader(raw))
	}
	text := bodyText(msg)
	return fromText(msg.Header, text)
}

func isVacation(h mail.Header) bool {
	auto := strings.ToLower(h.Get("Auto-Submitted"))
	subj := strings.ToLower(h.Get("Subject"))
	from := strings.ToLower(h.Get("From"))
	robot := strings.Contains(from, "mailer-daemon") || strings.Contains(from, "postmaster")
	if robot {
		return false
	}
	return auto == "auto-replied" || strings.Contains(subj, "out of office") || strings.Contains(subj, "automatic reply") ||
		strings.Contains(subj, "vacation") || strings.Contains(subj, "auto-reply") || strings.Contains(subj, "autoreply")
}

// fromDSN reads the message/delivery-status part of an RFC 3464 report.
func fromDSN(body io.Reader, boundary string) (Result, bool) {
	mr := multipart.NewReader(body, boundary)
	for {
		p, err := mr.NextPart()
		if err != nil {
			return Result{}, false
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if ct != "message/delivery-status" && ct != "message/global-delivery-status" {
			continue
		}
		r := bufio.NewReader(io.LimitReader(p, MaxSize))
		tp := textproto.NewReader(r)
		if _, err := tp.ReadMIMEHeader(); err != nil && err != io.EOF { // per-message fields
			return Result{}, false
		}
		var delayed *Result
		for {
			h, err := tp.ReadMIMEHeader()
			if len(h) > 0 {
				res := recipientResult(h)
				switch strings.ToLower(strings.TrimSpace(h.Get("Action"))) {
				case "failed":
					return res, true
				case "delayed":
					d := Result{Recipient: res.Recipient, Status: res.Status, Reason: "delivery delayed, not a bounce"}
					delayed = &d
				}
			}
			if err != nil {
				break
			}
		}
		if delayed != nil {
			return *delayed, true
		}
		return Result{Reason: "delivery report without failures"}, true
	}
}

func recipientResult(h textproto.MIMEHeader) Result {
	rcpt := h.Get("Final-Recipient")
	if rcpt == "" {
		rcpt = h.Get("Original-Recipient")
	}
	if _, addr, ok := strings.Cut(rcpt, ";"); ok {
		rcpt = addr
	}
	res := Result{Bounce: true, Recipient: cleanAddress(rcpt), Status: strings.TrimSpace(h.Get("Status"))}
	diag := strings.Join(strings.Fields(h.Get("Diagnostic-Code")), " ")
	if _, d, ok := strings.Cut(diag, ";"); ok {
		diag = strings.TrimSpace(d)
	}
	res.Reason = firstNonEmpty(diag, "status "+res.Status)
	res.Kind = kindOf(res.Status, diag)
	return res
}

var (
	statusRe   = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	qmailRe    = regexp.MustCompile(`\(#([245]\.\d{1,3}\.\d{1,3})\)`)
	smtpCodeRe = regexp.MustCompile(`\b([45]\d\d)\b[ :-]`)
	addressRe  = regexp.MustCompile(`[A-Za-z0-9._%+'=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	softWords  = []string{"mailbox full", "mailbox is full", "quota", "over quota", "insufficient storage", "storage limit", "temporar"}
	hardWords  = []string{"user unknown", "unknown user", "no such user", "does not exist", "not found", "no mailbox", "doesn't have", "address rejected", "unavailable", "permanent", "invalid recipient", "couldn't be found"}
	markers    = []string{"could not be delivered", "couldn't be delivered", "wasn't delivered", "was not delivered", "delivery has failed", "unable to deliver", "permanent fatal error", "following address(es) failed", "qmail-send program", "undeliver", "delivery failed", "failure notice", "returned mail", "address not found"}
	delayWords = []string{"warning message only", "warning only", "has not yet been delivered", "will continue to try", "still being retried", "delivery delayed", "message delayed"}
)

// fromText reads the plain-text reports of MTAs that send no DSN.
func fromText(h mail.Header, text string) Result {
	lower := strings.ToLower(text)
	subject := strings.ToLower(h.Get("Subject"))
	from := strings.ToLower(h.Get("From"))
	for _, w := range delayWords {
		if strings.Contains(lower, w) || strings.Contains(subject, w) {
			return Result{Reason: "delivery delayed, not a bounce"}
		}
	}
	robot := strings.Contains(from, "mailer-daemon") || strings.Contains(from, "postmaster") || strings.Contains(from, "mail delivery")
	marked := false
	for _, m := range markers {
		if strings.Contains(lower, m) || strings.Contains(subject, m) {
			marked = true
			break
		}
	}
	if !robot || !marked {
		return Result{Reason: "not a bounce"}
	}
	res := Result{Bounce: true, Recipient: findRecipient(text, from)}
	// The status and reason near the recipient, else anywhere.
	window := text
	if i := strings.Index(strings.ToLower(text), strings.ToLower(res.Recipient)); res.Recipient != "" && i >= 0 {
		window = text[i:min(len(text), i+800)]
	}
	if m := qmailRe.FindStringSubmatch(window); m != nil {
		res.Status = m[1]
	} else if m := statusRe.FindString(window); m != "" {
		res.Status = m
	} else if m := smtpCodeRe.FindStringSubmatch(window); m != nil {
		res.Status = m[1][:1] + ".0.0"
	}
	res.Reason = reasonLine(window)
	res.Kind = kindOf(res.Status, strings.ToLower(window))
	return res
}

// findRecipient picks the bounced address out of a text report: after the
// phrases MTAs put before it, else the first address that is not a robot's.
func findRecipient(text, from string) string {
	lower := strings.ToLower(text)
	for _, lead := range []string{"following addresses had permanent fatal errors", "following address(es) failed", "delivered to the following address",
		"following addresses.", "delivery has failed to these recipients or groups:", "wasn't delivered to", "could not be delivered to", "<"} {
		i := strings.Index(lower, lead)
		if i < 0 {
			continue
		}
		if a := addressRe.FindString(text[i:]); a != "" {
			return cleanAddress(a)
		}
	}
	for _, a := range addressRe.FindAllString(text, -1) {
		l := strings.ToLower(a)
		if !strings.Contains(l, "mailer-daemon") && !strings.Contains(l, "postmaster") && !strings.Contains(from, l) {
			return cleanAddress(a)
		}
	}
	return ""
}

func reasonLine(window string) string {
	for _, line := range strings.Split(window, "\n") {
		l := strings.TrimSpace(line)
		if statusRe.MatchString(l) || smtpCodeRe.MatchString(l) || qmailRe.MatchString(l) {
			if len(l) > 300 {
				l = l[:300]
			}
			return l
		}
	}
	return "bounce without a status"
}

// kindOf: 4.x.x and full mailboxes are soft; 5.x.x is hard; without a
// status, the words decide, and an unclear failure counts as soft.
func kindOf(status, diag string) Kind {
	d := strings.ToLower(diag)
	for _, w := range softWords {
		if strings.Contains(d, w) {
			return Soft
		}
	}
	switch {
	case strings.HasPrefix(status, "5.2.2"):
		return Soft
	case strings.HasPrefix(status, "5"):
		return Hard
	case strings.HasPrefix(status, "4"):
		return Soft
	}
	for _, w := range hardWords {
		if strings.Contains(d, w) {
			return Hard
		}
	}
	return Soft
}

// cleanAddress strips the brackets, quotes and trailing punctuation that
// reports put around an address.
func cleanAddress(s string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), "<>\"'.:;,() "))
}

// bodyText is the first text part of msg, decoded.
func bodyText(msg *mail.Message) string {
	mt, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(msg.Body, params["boundary"])
		var b strings.Builder
		for i := 0; i < 10; i++ {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if pt == "" || strings.HasPrefix(pt, "text/plain") {
				data, _ := io.ReadAll(io.LimitReader(p, MaxSize))
				b.Write(data)
				b.WriteString("\n")
			}
		}
		return b.String()
	}
	var r io.Reader = msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	data, _ := io.ReadAll(io.LimitReader(r, MaxSize))
	return string(data)
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
