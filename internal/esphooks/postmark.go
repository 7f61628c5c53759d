package esphooks

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
)

// Postmark takes Postmark's bounce, spam complaint and subscription change
// webhooks at /hooks/postmark. Postmark does not sign its webhooks; it
// sends the HTTP basic auth credentials put in the webhook URL
// (https://USER:PASS@host/hooks/postmark), so those are checked.
type Postmark struct {
	user, pass [sha256.Size]byte
}

// NewPostmark returns the Postmark provider for these credentials.
func NewPostmark(user, pass string) *Postmark {
	return &Postmark{user: sha256.Sum256([]byte(user)), pass: sha256.Sum256([]byte(pass))}
}

// Name is the path: /hooks/postmark.
func (p *Postmark) Name() string { return "postmark" }

// Events checks the credentials in constant time (over their hashes, so
// that neither the length shows) and reads the record.
func (p *Postmark) Events(r *http.Request, body []byte) ([]Event, error) {
	u, pw, ok := r.BasicAuth()
	if !ok {
		return nil, unauthenticated("no basic auth credentials")
	}
	hu, hp := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(pw))
	if subtle.ConstantTimeCompare(hu[:], p.user[:])&subtle.ConstantTimeCompare(hp[:], p.pass[:]) != 1 {
		return nil, forbidden("wrong basic auth credentials")
	}
	return parsePostmark(body)
}

type postmarkRecord struct {
	RecordType        string
	ID                json.Number
	Type              string
	MessageID         string
	Details           string
	Description       string
	Email             string
	Recipient         string
	BouncedAt         string
	ChangedAt         string
	SuppressSending   bool
	SuppressionReason string
}

// postmarkBounceKinds maps Postmark's bounce types
// (https://postmarkapp.com/developer/api/bounce-api#bounce-types): the ones
// that say the address does not work are hard, the ones that say "not
// now" soft; an auto-reply, a challenge, a virus or template error, a
// "subscribe" are nothing to score.
var postmarkBounceKinds = map[string]Kind{
	"HardBounce": HardBounce, "BadEmailAddress": HardBounce, "ManuallyDeactivated": HardBounce,
	"Transient": SoftBounce, "SoftBounce": SoftBounce, "DnsError": SoftBounce, "Blocked": SoftBounce,
	"Unsubscribe": Unsubscribe, "SpamComplaint": Complaint, "SpamNotification": Complaint,
}

// parsePostmark maps one record. A Bounce without RecordType is the older
// form of the bounce webhook. A SubscriptionChange that suppresses sending
// is an unsubscribe, a hard bounce or a complaint by its reason; one that
// lifts the suppression is nothing: an ESP's reactivation is no consent.
func parsePostmark(body []byte) ([]Event, error) {
	var rec postmarkRecord
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&rec); err != nil {
		return nil, invalid("not a Postmark webhook record: %v", err)
	}
	ev := Event{Provider: "postmark", ID: rec.ID.String(), MessageID: rec.MessageID, Diagnostic: firstOf(rec.Details, rec.Description)}
	switch rec.RecordType {
	case "", "Bounce", "SpamComplaint":
		ev.Kind, ev.Recipient, ev.At = postmarkBounceKinds[rec.Type], rec.Email, parseTime(rec.BouncedAt)
		if ev.Kind == Complaint {
			ev.FeedbackType = "abuse"
		}
	case "SubscriptionChange":
		if !rec.SuppressSending {
			return nil, nil
		}
		ev.Kind = map[string]Kind{"ManualSuppression": Unsubscribe, "HardBounce": HardBounce, "SpamComplaint": Complaint}[rec.SuppressionReason]
		ev.Recipient, ev.At, ev.Diagnostic = rec.Recipient, parseTime(rec.ChangedAt), "suppressed: "+rec.SuppressionReason
		if ev.ID == "" {
			ev.ID = rec.MessageID + "/" + strconv.FormatInt(ev.At.Unix(), 10)
		}
	default:
		return nil, nil // Delivery, Open, Click, Inbound: nothing to do
	}
	if ev.Kind == 0 {
		return nil, nil
	}
	return withRecipients([]Event{ev}), nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
