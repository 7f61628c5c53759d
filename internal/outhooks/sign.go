// Package outhooks delivers mailer's events (a member subscribed, left,
// bounced or complained; a send finished) to the receivers `mailer hooks
// add` registered: signed as the Standard Webhooks specification says
// (https://github.com/standard-webhooks/standard-webhooks,
// spec/standard-webhooks.md, version 1.0.0), retried with backoff, one
// request at a time per URL. The events are queued by the database itself
// (migration 0023); the Dispatcher only reads and delivers them.
package outhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"

	"mailer/internal/fault"
)

// secretPrefix marks a symmetric signing secret (Standard Webhooks,
// "Secret serialization": base64, prefixed with whsec_).
const secretPrefix = "whsec_"

// NewSecret makes a hook's signing key: 32 random bytes (the spec asks for
// 24 to 64), as whsec_<base64>.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fault.Wrap(fault.Internal, err, "make a hook secret")
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// Sign returns the webhook-signature header's value: "v1," and the base64
// HMAC-SHA256, keyed with the secret's decoded bytes, of
// "{msg_id}.{timestamp}.{payload}" (Standard Webhooks, "Signature scheme").
// The id and timestamp are mailer's own, never with a '.' in them.
func Sign(secret, msgID string, unix int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || !strings.HasPrefix(secret, secretPrefix) {
		// The secret itself stays out of the error.
		return "", fault.Errorf(fault.Internal, "the hook's secret is not a whsec_ base64 key")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + strconv.FormatInt(unix, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
