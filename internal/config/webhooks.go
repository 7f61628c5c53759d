package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
)

// Webhooks turns on the relays' bounce and complaint webhooks that `mailer
// serve` answers at /hooks/NAME; a provider left empty is off (404).
type Webhooks struct {
	// SESTopicARNs are the Amazon SNS topics whose SES notifications are
	// taken at /hooks/ses; a subscription to any other is never confirmed.
	SESTopicARNs []string `toml:"ses_topic_arns"`
	// PostmarkUsername and PostmarkPassword are the basic auth credentials
	// put in the Postmark webhook URL, for /hooks/postmark.
	PostmarkUsername string `toml:"postmark_username"`
	PostmarkPassword string `toml:"postmark_password" secret:"true"`
	// SendGridPublicKey is the Signed Event Webhook's verification key, as
	// SendGrid shows it (base64 of the DER public key), for /hooks/sendgrid.
	SendGridPublicKey string `toml:"sendgrid_public_key"`
	// MailgunSigningKey is the account's HTTP webhook signing key, for
	// /hooks/mailgun.
	MailgunSigningKey string `toml:"mailgun_signing_key" secret:"true"`
}

// snsTopic is arn:PARTITION:sns:REGION:ACCOUNT:NAME.
var snsTopic = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]{1,256}$`)

// SendGridKey parses SendGridPublicKey: base64 DER or PEM, ECDSA P-256.
func (w Webhooks) SendGridKey() (*ecdsa.PublicKey, error) {
	s := strings.TrimSpace(w.SendGridPublicKey)
	var der []byte
	if blk, _ := pem.Decode([]byte(s)); blk != nil {
		der = blk.Bytes
	} else {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("is not base64 (copy the verification key SendGrid shows)")
		}
		der = b
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("is not a public key")
	}
	ec, ok := k.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("is not an ECDSA P-256 public key")
	}
	return ec, nil
}
