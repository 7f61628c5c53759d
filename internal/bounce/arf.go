package bounce

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
)

// Feedback is a spam complaint or another feedback report: an Abuse
// Reporting Format report (RFC 5965: multipart/report;
// report-type=feedback-report with a message/feedback-report part and the
// original message or its headers), or Microsoft's JMRP mail, which
// carries the original with X-HmXmrOriginalRecipient but no report part.
type Feedback struct {
	// FeedbackType is the lower-cased Feedback-Type (RFC 5965 §3.5:
	// abuse, fraud, virus, other; RFC 6591 auth-failure; RFC 6430
	// not-spam); "abuse" for a JMRP mail, which is a user's spam click.
	FeedbackType     string
	UserAgent        string
	Version          string
	OriginalMailFrom string   // without angle brackets
	OriginalRcptTo   []string // as the report gives them (providers hash or redact them)
	ArrivalDate      string
	ReportedDomain   []string
	SourceIP         string
	// Reporter is the domain of the report's From: who sent it.
	Reporter string
	// Original is the header of the reported message, nil when the report
	// carries none (some loops send "REDACTED" in its place).
	Original mail.Header
}

// Complaint reports whether the report is a reader's complaint that must
// stop mail to them. DMARC failure reports (auth-failure) and "not-spam"
// (a reader taking a spam mark back) are not; every other type is, unknown
// ones included: RFC 5965 §7.3 lets new types appear, and a missed
// complaint keeps mailing someone who said "spam".
func (f Feedback) Complaint() bool {
	switch f.FeedbackType {
	case "auth-failure", "not-spam", "dmarc":
		return false
	}
	return true
}

// Provider names who reported, for people: the reporting domain and the
// report's User-Agent, e.g. "arf.mail.yahoo.com (Yahoo!-Mail-Feedback/1.0)".
func (f Feedback) Provider() string {
	switch {
	case f.Reporter != "" && f.UserAgent != "":
		return f.Reporter + " (" + f.UserAgent + ")"
	case f.Reporter != "":
		return f.Reporter
	}
	return f.UserAgent
}

// Recipient is the complainer's address as the report names it, or "":
// Original-Rcpt-To, then Microsoft's X-HmXmrOriginalRecipient, then the
// original's To when it holds one address. Redacted and hashed forms
// ("redacted@aol.com") are no address; the caller must still match what
// it gets to a member of its own.
func (f Feedback) Recipient() string {
	if rs := f.Recipients(); len(rs) > 0 {
		return rs[0]
	}
	return ""
}

// Recipients are all the addresses the report names as the recipient, in
// the order of Recipient, each once.
func (f Feedback) Recipients() []string {
	cands := append([]string(nil), f.OriginalRcptTo...)
	if f.Original != nil {
		cands = append(cands, f.Original.Get("X-HmXmrOriginalRecipient"))
		if to, err := mail.ParseAddressList(f.Original.Get("To")); err == nil && len(to) == 1 {
			cands = append(cands, to[0].Address)
		}
	}
	var out []string
	for _, c := range cands {
		if a, ok := cleanCandidate(c); ok && !redacted(a) && !feedbackHas(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// feedbackHas says whether xs holds x.
func feedbackHas(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// redacted says whether an address is a provider's placeholder for the
// one it hid (AOL writes "redacted@aol.com").
func redacted(addr string) bool {
	local, _, _ := strings.Cut(addr, "@")
	return local == "redacted" || strings.Contains(local, "redacted")
}

// ParseFeedback reads raw as a feedback report. ok is false for any other
// message, so that it is read as a bounce instead.
func ParseFeedback(raw []byte) (Feedback, bool) {
	if len(raw) > MaxSize {
		raw = raw[:MaxSize]
	}
	m, ok := readMessage(raw)
	if !ok {
		return Feedback{}, false
	}
	return fromFeedback(m)
}

// fromFeedback finds the report in a parsed message.
func fromFeedback(m *message) (Feedback, bool) {
	report, found := feedbackPart(m)
	f := Feedback{Reporter: feedbackReporter(m.header)}
	if orig := originalHeader(m); orig != nil {
		f.Original = orig
	}
	switch {
	case found:
		readFeedbackFields(&f, report)
	case f.Original != nil && f.Original.Get("X-HmXmrOriginalRecipient") != "":
		// Microsoft JMRP: "complaint about message from IP", the original
		// attached, no report part (its own format, not ARF).
		f.FeedbackType, f.UserAgent = "abuse", "Microsoft JMRP"
	default:
		return Feedback{}, false
	}
	return f, true
}

// feedbackPart returns the message/feedback-report part. A
// multipart/report whose report-type is feedback-report but which lacks
// that part still counts, as an empty report of type abuse.
func feedbackPart(m *message) ([]byte, bool) {
	for _, p := range m.parts {
		if p.ctype == "message/feedback-report" {
			return p.body, true
		}
	}
	mt, params, err := mime.ParseMediaType(m.header.Get("Content-Type"))
	if err == nil && mt == "multipart/report" && strings.EqualFold(params["report-type"], "feedback-report") {
		return nil, true
	}
	return nil, false
}

// readFeedbackFields reads the RFC 5965 §3.1 fields. Multiple
// Original-Rcpt-To and Reported-Domain fields are kept in order.
func readFeedbackFields(f *Feedback, body []byte) {
	for _, fl := range unfoldFields(body) {
		v := strings.TrimSpace(fl.value)
		switch fl.name {
		case "feedback-type":
			f.FeedbackType = strings.ToLower(v)
		case "user-agent":
			f.UserAgent = v
		case "version":
			f.Version = v
		case "original-mail-from":
			f.OriginalMailFrom = strings.Trim(v, "<>")
		case "original-rcpt-to":
			f.OriginalRcptTo = append(f.OriginalRcptTo, strings.Trim(v, "<>"))
		case "arrival-date", "received-date":
			f.ArrivalDate = feedbackFirst(f.ArrivalDate, v)
		case "reported-domain":
			f.ReportedDomain = append(f.ReportedDomain, v)
		case "source-ip":
			f.SourceIP = v
		}
	}
	if f.FeedbackType == "" {
		f.FeedbackType = "abuse" // report-type=feedback-report without a type: RFC 5965's one use
	}
}

// unfoldFields splits a block of "Name: value" lines, continuation lines
// joined (RFC 5322 §2.2.3); names are lower-cased.
func unfoldFields(body []byte) []field {
	var out []field
	for _, line := range strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case (line[0] == ' ' || line[0] == '\t') && len(out) > 0:
			out[len(out)-1].value += " " + strings.TrimSpace(line)
		default:
			name, value, ok := strings.Cut(line, ":")
			if ok {
				out = append(out, field{name: strings.ToLower(strings.TrimSpace(name)), value: value})
			}
		}
	}
	return out
}

// originalHeader reads the header of the reported message: the first
// message/rfc822 or text/rfc822-headers part that parses as one.
func originalHeader(m *message) mail.Header {
	for _, p := range m.parts {
		if !p.original {
			continue
		}
		body := skipMboxLine(bytes.TrimLeft(p.body, "\r\n"))
		if !bytes.Contains(body, []byte("\n\n")) && !bytes.Contains(body, []byte("\r\n\r\n")) {
			body = append(append([]byte(nil), body...), "\r\n\r\n"...) // headers only
		}
		if msg, err := mail.ReadMessage(bytes.NewReader(body)); err == nil && len(msg.Header) > 0 {
			return msg.Header
		}
	}
	return nil
}

// feedbackReporter is the domain of the report's From.
func feedbackReporter(h mail.Header) string {
	a, err := mail.ParseAddress(h.Get("From"))
	if err != nil {
		return ""
	}
	_, domain, _ := strings.Cut(a.Address, "@")
	return strings.ToLower(domain)
}

// feedbackReport is the hook of Parse: a feedback report is never a
// bounce, whatever addresses its text holds.
func feedbackReport(m *message) (Report, bool) {
	f, ok := fromFeedback(m)
	if !ok {
		return Report{}, false
	}
	return Report{Diagnostic: "a feedback report (" + f.FeedbackType + "), not a bounce"}, true
}

// feedbackFirst is a, or b when a is empty.
func feedbackFirst(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
