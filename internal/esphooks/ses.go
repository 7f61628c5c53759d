package esphooks

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"mailer/internal/fault"
)

// SNSWindow is how old a signed SNS message may be. SNS signs its
// Timestamp once and keeps it on every retry; an HTTP/S delivery policy
// retries for at most an hour ("Amazon SNS message delivery retries").
const SNSWindow = time.Hour

// SESOptions configure the Amazon SES hook.
type SESOptions struct {
	// Topics are the SNS topic ARNs taken; a message or subscription for
	// any other topic is refused and never confirmed.
	Topics []string
	// Client fetches signing certificates and confirms subscriptions; nil:
	// a client with a 10 s timeout. Whatever it is, only https URLs on the
	// topic's sns.REGION.amazonaws.com host are fetched.
	Client *http.Client
	Now    func() time.Time
	Logger *slog.Logger
}

// SES takes Amazon SES bounce and complaint notifications delivered by an
// Amazon SNS HTTPS subscription, at /hooks/ses.
type SES struct {
	topics map[string]bool
	certs  *certCache
	seen   *seen
	now    func() time.Time
	log    *slog.Logger
}

// NewSES returns the SES provider.
func NewSES(o SESOptions) *SES {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &SES{topics: map[string]bool{}, certs: &certCache{client: o.Client, keys: map[string]*rsa.PublicKey{}},
		seen: newSeen(SNSWindow), now: o.Now, log: o.Logger}
	for _, t := range o.Topics {
		s.topics[t] = true
	}
	return s
}

// Name is the path: /hooks/ses.
func (s *SES) Name() string { return "ses" }

// Events verifies the SNS message and reads its SES notification. A
// subscription confirmation for a pinned topic is confirmed; a repeated
// delivery of one message (SNS delivers at least once) is taken once.
func (s *SES) Events(r *http.Request, body []byte) ([]Event, error) {
	var m snsMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, invalid("not an SNS message: %v", err)
	}
	if h := r.Header.Get("x-amz-sns-message-type"); h != "" && h != m.Type {
		return nil, invalid("x-amz-sns-message-type %q and the message's Type %q differ", h, m.Type)
	}
	if !s.topics[m.TopicArn] {
		return nil, forbidden("SNS topic %q is not one of webhooks.ses_topic_arns", m.TopicArn)
	}
	now := s.now()
	at, err := time.Parse(time.RFC3339Nano, m.Timestamp)
	if err != nil {
		return nil, invalid("SNS Timestamp %q is not RFC 3339", m.Timestamp)
	}
	if !fresh(at, now, SNSWindow) {
		return nil, forbidden("SNS message of %s is stale (older than %s)", m.Timestamp, SNSWindow)
	}
	if err := s.certs.verify(r.Context(), &m, now); err != nil {
		return nil, err
	}
	switch m.Type {
	case "SubscriptionConfirmation":
		return nil, s.confirm(r.Context(), &m)
	case "UnsubscribeConfirmation":
		s.log.Warn("SNS subscription ended", "topic", m.TopicArn)
		return nil, nil
	case "Notification":
		if !s.seen.take(m.MessageID, now) {
			s.log.Info("SNS message delivered again; taken once", "id", m.MessageID)
			return nil, nil
		}
		return parseSES([]byte(m.Message))
	}
	return nil, invalid("SNS message Type %q is unknown", m.Type)
}

// Forget lets a notification whose events failed be delivered again.
func (s *SES) Forget(_ *http.Request, body []byte) {
	var m snsMessage
	if json.Unmarshal(body, &m) == nil {
		s.seen.forget(m.MessageID)
	}
}

// confirm visits SubscribeURL, which the signature covers, on the topic's
// SNS host only.
func (s *SES) confirm(ctx context.Context, m *snsMessage) error {
	u, ok := snsURL(m.SubscribeURL, m.TopicArn)
	if !ok {
		return forbidden("SubscribeURL is not on the topic's SNS host %s", snsHost(m.TopicArn))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fault.Wrap(fault.Invalid, err, "SubscribeURL")
	}
	res, err := s.certs.client.Do(req)
	if err != nil {
		return fault.Wrap(fault.Unavailable, err, "confirm the SNS subscription")
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK {
		return fault.Errorf(fault.Unavailable, "confirm the SNS subscription: status %d", res.StatusCode)
	}
	s.log.Info("SNS subscription confirmed", "topic", m.TopicArn)
	return nil
}

// sesNotification is the SES notification in an SNS Message (Amazon SES
// Developer Guide, "Amazon SNS notification contents"); event publishing
// names notificationType eventType.
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Bounce           *struct {
		BounceType        string `json:"bounceType"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
		Timestamp  string `json:"timestamp"`
		FeedbackID string `json:"feedbackId"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
		Timestamp             string `json:"timestamp"`
		FeedbackID            string `json:"feedbackId"`
	} `json:"complaint"`
	Mail struct {
		Source  string `json:"source"`
		Headers []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
		CommonHeaders struct {
			MessageID string `json:"messageId"`
		} `json:"commonHeaders"`
	} `json:"mail"`
}

// parseSES maps a notification: a Permanent bounce is hard, Transient and
// Undetermined soft (SES could not tell: never stop a reader on a guess);
// a complaint is a complaint; deliveries and other events are nothing.
func parseSES(msg []byte) ([]Event, error) {
	var n sesNotification
	if err := json.Unmarshal(msg, &n); err != nil {
		return nil, invalid("SNS Message is not an SES notification: %v", err)
	}
	base := Event{Provider: "ses", ReturnPath: n.Mail.Source, MessageID: trimID(n.Mail.CommonHeaders.MessageID)}
	for _, h := range n.Mail.Headers {
		switch {
		case strings.EqualFold(h.Name, "List-Unsubscribe"):
			base.ListUnsubscribe = h.Value
		case strings.EqualFold(h.Name, "Message-ID") && base.MessageID == "":
			base.MessageID = trimID(h.Value)
		}
	}
	var out []Event
	switch kind := n.NotificationType + n.EventType; {
	case kind == "Bounce" && n.Bounce != nil:
		k := SoftBounce
		if n.Bounce.BounceType == "Permanent" {
			k = HardBounce
		}
		for _, rc := range n.Bounce.BouncedRecipients {
			ev := base
			ev.Kind, ev.Recipient, ev.ID, ev.At = k, rc.EmailAddress, n.Bounce.FeedbackID, parseTime(n.Bounce.Timestamp)
			ev.Diagnostic = strings.TrimSpace(rc.Status + " " + rc.DiagnosticCode)
			out = append(out, ev)
		}
	case kind == "Complaint" && n.Complaint != nil:
		for _, rc := range n.Complaint.ComplainedRecipients {
			ev := base
			ev.Kind, ev.Recipient, ev.ID, ev.At = Complaint, rc.EmailAddress, n.Complaint.FeedbackID, parseTime(n.Complaint.Timestamp)
			ev.FeedbackType = n.Complaint.ComplaintFeedbackType
			out = append(out, ev)
		}
	}
	return withRecipients(out), nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// withRecipients drops events that name nobody.
func withRecipients(evs []Event) []Event {
	out := evs[:0]
	for _, ev := range evs {
		if ev.Recipient = strings.TrimSpace(ev.Recipient); ev.Recipient != "" {
			out = append(out, ev)
		}
	}
	return out
}
