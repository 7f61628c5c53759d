package esphooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MailgunWindow is how far a Mailgun signature's timestamp may be from
// now. Mailgun's guide ("Securing webhooks") asks to check it and to take
// each token once; the token cache covers the window.
const MailgunWindow = 5 * time.Minute

// Mailgun takes Mailgun's webhooks (failed, complained, unsubscribed) at
// /hooks/mailgun, signed with the account's HTTP webhook signing key.
type Mailgun struct {
	key  []byte
	now  func() time.Time
	seen *seen
}

// NewMailgun returns the Mailgun provider for signing key.
func NewMailgun(key string, now func() time.Time) *Mailgun {
	if now == nil {
		now = time.Now
	}
	// Twice the window: a token must not come back from the far side of it.
	return &Mailgun{key: []byte(key), now: now, seen: newSeen(2 * MailgunWindow)}
}

// Name is the path: /hooks/mailgun.
func (m *Mailgun) Name() string { return "mailgun" }

type mailgunPayload struct {
	Signature struct {
		Timestamp string `json:"timestamp"`
		Token     string `json:"token"`
		Signature string `json:"signature"`
	} `json:"signature"`
	EventData json.RawMessage `json:"event-data"`
}

// Events verifies HMAC-SHA256(key, timestamp+token) in constant time, the
// timestamp and that the token is new, then reads the event. The
// signature sits in the body, so the body is parsed first, but nothing of
// the event is read before it verifies.
func (m *Mailgun) Events(_ *http.Request, body []byte) ([]Event, error) {
	var p mailgunPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, invalid("not a Mailgun webhook: %v", err)
	}
	sg := p.Signature
	if sg.Timestamp == "" || sg.Token == "" || sg.Signature == "" {
		return nil, unauthenticated("no Mailgun signature (timestamp, token, signature)")
	}
	got, err := hex.DecodeString(sg.Signature)
	if err != nil {
		return nil, forbidden("Mailgun signature is not hex")
	}
	mac := hmac.New(sha256.New, m.key)
	mac.Write([]byte(sg.Timestamp + sg.Token))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return nil, forbidden("Mailgun signature does not verify")
	}
	secs, err := strconv.ParseInt(sg.Timestamp, 10, 64)
	now := m.now()
	if err != nil || !fresh(time.Unix(secs, 0), now, MailgunWindow) {
		return nil, forbidden("Mailgun signature timestamp %q is stale (more than %s off)", sg.Timestamp, MailgunWindow)
	}
	if !m.seen.take(sg.Token, now) {
		return nil, forbidden("Mailgun token already taken (a replay)")
	}
	evs, err := parseMailgun(p.EventData)
	if err != nil {
		m.seen.forget(sg.Token)
	}
	return evs, err
}

// Forget lets the same signed request in again (its events failed).
func (m *Mailgun) Forget(_ *http.Request, body []byte) {
	var p mailgunPayload
	if json.Unmarshal(body, &p) == nil {
		m.seen.forget(p.Signature.Token)
	}
}

type mailgunEvent struct {
	Event     string  `json:"event"`
	ID        string  `json:"id"`
	Timestamp float64 `json:"timestamp"`
	Severity  string  `json:"severity"`
	Reason    string  `json:"reason"`
	Recipient string  `json:"recipient"`
	Envelope  struct {
		Sender string `json:"sender"`
	} `json:"envelope"`
	Message struct {
		Headers struct {
			MessageID string `json:"message-id"`
		} `json:"headers"`
	} `json:"message"`
	DeliveryStatus struct {
		Code        int    `json:"code"`
		Message     string `json:"message"`
		Description string `json:"description"`
	} `json:"delivery-status"`
}

// parseMailgun maps failed by its severity (permanent: hard, temporary:
// soft), complained and unsubscribed; the rest (accepted, delivered,
// opened, clicked) is nothing.
func parseMailgun(data json.RawMessage) ([]Event, error) {
	if len(data) == 0 {
		return nil, invalid("Mailgun webhook without event-data")
	}
	var e mailgunEvent
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, invalid("Mailgun event-data: %v", err)
	}
	ev := Event{Provider: "mailgun", Recipient: e.Recipient, ReturnPath: e.Envelope.Sender, MessageID: trimID(e.Message.Headers.MessageID),
		ID: e.ID, At: time.Unix(0, int64(e.Timestamp*1e9)).UTC()}
	switch e.Event {
	case "failed":
		ev.Kind = SoftBounce
		if e.Severity == "permanent" {
			// Mailgun's suppression lists: it did not send, and says why.
			ev.Kind = map[string]Kind{"suppress-complaint": Complaint, "suppress-unsubscribe": Unsubscribe}[e.Reason]
			if ev.Kind == 0 {
				ev.Kind = HardBounce
			}
		}
		ds := e.DeliveryStatus
		ev.Diagnostic = strings.TrimSpace(strings.Join(strings.Fields(firstOf(ds.Message, ds.Description)), " "))
		if ds.Code != 0 {
			ev.Diagnostic = strings.TrimSpace(strconv.Itoa(ds.Code) + " " + ev.Diagnostic)
		}
	case "complained":
		ev.Kind, ev.FeedbackType = Complaint, "abuse"
	case "unsubscribed":
		ev.Kind = Unsubscribe
	default:
		return nil, nil
	}
	return withRecipients([]Event{ev}), nil
}
