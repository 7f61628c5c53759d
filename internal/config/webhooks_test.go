package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"mailer/internal/config"
)

func sendgridKey(t *testing.T, curve elliptic.Curve) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// TestWebhooksSection: a whole [webhooks] loads, the environment overrides
// it like any section, secrets are redacted; each bad value names its key.
func TestWebhooksSection(t *testing.T) {
	key := sendgridKey(t, elliptic.P256())
	file := "[webhooks]\nses_topic_arns = [\"arn:aws:sns:eu-west-1:123456789012:mailer-ses\"]\npostmark_username = \"pm\"\n" +
		"postmark_password = \"pm-password-0123456789\"\nsendgrid_public_key = \"" + key + "\"\n"
	cfg, err := config.Parse("mailer.toml", []byte(file), envOf(map[string]string{"MAILER_WEBHOOKS_MAILGUN_SIGNING_KEY": "mailgun-key-0123456789abcdef"}))
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Webhooks
	if len(w.SESTopicARNs) != 1 || w.PostmarkUsername != "pm" || w.MailgunSigningKey != "mailgun-key-0123456789abcdef" {
		t.Fatalf("webhooks %+v", w)
	}
	if k, err := w.SendGridKey(); err != nil || k.Curve != elliptic.P256() {
		t.Fatalf("sendgrid key: %v", err)
	}
	for _, e := range cfg.Entries() {
		if (e.Key == "webhooks.postmark_password" || e.Key == "webhooks.mailgun_signing_key") && e.Value != config.Redacted {
			t.Fatalf("%s printed as %q", e.Key, e.Value)
		}
	}
	for _, c := range []struct{ file, want string }{
		{"[webhooks]\nses_topic_arns = [\"arn:aws:sqs:us-east-1:123456789012:q\"]\n", "mailer.toml:2: webhooks.ses_topic_arns: \"arn:aws:sqs"},
		{"[webhooks]\npostmark_username = \"pm\"\n", "webhooks.postmark_username and webhooks.postmark_password go together"},
		{"[webhooks]\npostmark_username = \"pm\"\npostmark_password = \"short\"\n", "mailer.toml:3: webhooks.postmark_password: is 5 characters"},
		{"[webhooks]\nsendgrid_public_key = \"not base64!\"\n", "webhooks.sendgrid_public_key: is not base64"},
		{"[webhooks]\nsendgrid_public_key = \"" + sendgridKey(t, elliptic.P384()) + "\"\n", "is not an ECDSA P-256 public key"},
		{"[webhooks]\nmailgun_signing_key = \"abc\"\n", "webhooks.mailgun_signing_key: is 3 characters"},
	} {
		_, err := config.Parse("mailer.toml", []byte(c.file), noEnv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.file, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "short") {
			t.Errorf("the secret is in the error: %v", err)
		}
	}
}
