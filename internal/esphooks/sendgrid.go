package esphooks

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SendGrid's signed Event Webhook headers ("Getting started with the Event
// Webhook security features"): an ECDSA signature, base64 DER, over the
// timestamp followed by the raw body, with the key SendGrid shows.
const (
	SendGridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	SendGridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// SendGridWindow is how old a signed SendGrid batch may be: SendGrid signs
// each POST when it sends it, retries included.
const SendGridWindow = 5 * time.Minute

// SendGrid takes SendGrid's signed Event Webhook at /hooks/sendgrid.
type SendGrid struct {
	key *ecdsa.PublicKey
	now func() time.Time
}

// NewSendGrid returns the SendGrid provider verifying with key (P-256).
func NewSendGrid(key *ecdsa.PublicKey, now func() time.Time) *SendGrid {
	if now == nil {
		now = time.Now
	}
	return &SendGrid{key: key, now: now}
}

// Name is the path: /hooks/sendgrid.
func (s *SendGrid) Name() string { return "sendgrid" }

// Events verifies the signature and the timestamp, then reads the batch.
func (s *SendGrid) Events(r *http.Request, body []byte) ([]Event, error) {
	sigText, ts := r.Header.Get(SendGridSignatureHeader), r.Header.Get(SendGridTimestampHeader)
	if sigText == "" || ts == "" {
		return nil, unauthenticated("no %s or %s header", SendGridSignatureHeader, SendGridTimestampHeader)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, forbidden("%s %q is not a Unix time", SendGridTimestampHeader, ts)
	}
	if !fresh(time.Unix(secs, 0), s.now(), SendGridWindow) {
		return nil, forbidden("SendGrid batch signed at %s is stale (more than %s off)", time.Unix(secs, 0).UTC().Format(time.RFC3339), SendGridWindow)
	}
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil {
		return nil, forbidden("%s is not base64", SendGridSignatureHeader)
	}
	sum := sha256.Sum256(append([]byte(ts), body...))
	if !ecdsa.VerifyASN1(s.key, sum[:], sig) {
		return nil, forbidden("SendGrid signature does not verify")
	}
	return parseSendGrid(body)
}

type sendGridEvent struct {
	Email     string `json:"email"`
	Timestamp int64  `json:"timestamp"`
	SMTPID    string `json:"smtp-id"`
	Event     string `json:"event"`
	Type      string `json:"type"`
	Reason    string `json:"reason"`
	Status    string `json:"status"`
	Response  string `json:"response"`
	SGEventID string `json:"sg_event_id"`
	MessageID string `json:"sg_message_id"`
}

// sendGridDropped maps the reasons SendGrid drops a message for (Event
// Webhook Reference, "Dropped events"): for the address, not for us. An
// invalid SMTPAPI header, spam content or a quota are the sender's
// problem and score nobody.
var sendGridDropped = map[string]Kind{
	"Bounced Address": HardBounce, "Invalid": HardBounce, "Invalid Address": HardBounce,
	"Unsubscribed Address": Unsubscribe, "Spam Reporting Address": Complaint,
}

// parseSendGrid maps a batch (a JSON array): bounce of type "bounce" is
// hard and of type "blocked" soft (an older bounce without a type goes by
// its 5.x.x or 4.x.x status); deferred (the receiver said 4xx; SendGrid
// retries) is soft; dropped goes by its reason; spamreport is a
// complaint; unsubscribe and group_unsubscribe are unsubscribes.
func parseSendGrid(body []byte) ([]Event, error) {
	var batch []sendGridEvent
	if err := json.Unmarshal(body, &batch); err != nil {
		return nil, invalid("not a SendGrid event batch: %v", err)
	}
	var out []Event
	for _, e := range batch {
		ev := Event{Provider: "sendgrid", Recipient: e.Email, MessageID: trimID(e.SMTPID), ID: e.SGEventID,
			At: time.Unix(e.Timestamp, 0).UTC(), Diagnostic: strings.TrimSpace(e.Status + " " + firstOf(e.Reason, e.Response))}
		switch e.Event {
		case "bounce":
			ev.Kind = HardBounce
			if e.Type == "blocked" || e.Type == "" && strings.HasPrefix(e.Status, "4") {
				ev.Kind = SoftBounce
			}
		case "deferred":
			ev.Kind = SoftBounce
		case "dropped":
			ev.Kind = sendGridDropped[e.Reason]
		case "spamreport":
			ev.Kind, ev.FeedbackType = Complaint, "abuse"
		case "unsubscribe", "group_unsubscribe":
			ev.Kind = Unsubscribe
		}
		if ev.Kind != 0 {
			out = append(out, ev)
		}
	}
	return withRecipients(out), nil
}
