package esphooks

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"mailer/internal/fault"
)

// snsMessage is an Amazon SNS HTTP(S) delivery (Amazon SNS Developer
// Guide, "Parsing message formats").
type snsMessage struct {
	Type             string
	MessageID        string `json:"MessageId"`
	Token            string
	TopicArn         string
	Subject          string
	Message          string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string
	SubscribeURL     string
}

// stringToSign is the canonical text SNS signs: the named fields in this
// order, each as "Name\nvalue\n"; a notification signs Subject only when
// it has one ("Verifying the signatures of Amazon SNS messages").
func (m *snsMessage) stringToSign() string {
	var names []string
	var values []string
	add := func(n, v string) { names, values = append(names, n), append(values, v) }
	add("Message", m.Message)
	add("MessageId", m.MessageID)
	if m.Type == "Notification" {
		if m.Subject != "" {
			add("Subject", m.Subject)
		}
	} else {
		add("SubscribeURL", m.SubscribeURL)
	}
	add("Timestamp", m.Timestamp)
	if m.Type != "Notification" {
		add("Token", m.Token)
	}
	add("TopicArn", m.TopicArn)
	add("Type", m.Type)
	var b strings.Builder
	for i := range names {
		b.WriteString(names[i] + "\n" + values[i] + "\n")
	}
	return b.String()
}

// topicARN is arn:PARTITION:sns:REGION:ACCOUNT:NAME.
var topicARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:sns:([a-z0-9-]+):[0-9]{12}:[A-Za-z0-9_.-]{1,256}$`)

// snsHost is the only host a signing certificate or a subscription is
// fetched from: sns.REGION.amazonaws.com (.com.cn in China), the region
// the topic is in, so a forged message cannot point mailer elsewhere.
func snsHost(topic string) string {
	m := topicARN.FindStringSubmatch(topic)
	if m == nil {
		return ""
	}
	if m[1] == "-cn" {
		return "sns." + m[2] + ".amazonaws.com.cn"
	}
	return "sns." + m[2] + ".amazonaws.com"
}

// snsURL checks that raw is https on the topic's SNS host.
func snsURL(raw, topic string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" {
		return nil, false
	}
	want := snsHost(topic)
	return u, want != "" && strings.EqualFold(u.Hostname(), want)
}

// certCache holds the signing keys fetched, by URL. Few URLs are valid (one
// certificate per region, rotated rarely), so it is capped, not expired.
type certCache struct {
	mu     sync.Mutex
	client *http.Client
	keys   map[string]*rsa.PublicKey
}

const maxCerts = 32

func (c *certCache) key(ctx context.Context, u *url.URL, now time.Time) (*rsa.PublicKey, error) {
	c.mu.Lock()
	k := c.keys[u.String()]
	c.mu.Unlock()
	if k != nil {
		return k, nil
	}
	k, err := c.fetch(ctx, u, now)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.keys) >= maxCerts {
		clear(c.keys)
	}
	c.keys[u.String()] = k
	c.mu.Unlock()
	return k, nil
}

func (c *certCache) fetch(ctx context.Context, u *url.URL, now time.Time) (*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "signing certificate URL")
	}
	res, err := c.client.Do(req)
	if err != nil {
		return nil, fault.Wrap(fault.Unavailable, err, "fetch the SNS signing certificate")
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fault.Errorf(fault.Unavailable, "fetch the SNS signing certificate: status %d", res.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return nil, fault.Wrap(fault.Unavailable, err, "read the SNS signing certificate")
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, forbidden("the SNS signing certificate is not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, forbidden("the SNS signing certificate does not parse")
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, forbidden("the SNS signing certificate is not valid now")
	}
	k, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, forbidden("the SNS signing certificate has no RSA key")
	}
	return k, nil
}

// verify checks m's signature: SignatureVersion 1 is SHA1withRSA, 2 is
// SHA256withRSA, both PKCS #1 v1.5 over stringToSign.
func (c *certCache) verify(ctx context.Context, m *snsMessage, now time.Time) error {
	var h crypto.Hash
	switch m.SignatureVersion {
	case "1":
		h = crypto.SHA1
	case "2":
		h = crypto.SHA256
	default:
		return forbidden("SNS SignatureVersion %q is not 1 or 2", m.SignatureVersion)
	}
	u, ok := snsURL(m.SigningCertURL, m.TopicArn)
	if !ok || !strings.HasSuffix(u.Path, ".pem") {
		return forbidden("SigningCertURL is not a certificate on the topic's SNS host (https://%s/...pem)", snsHost(m.TopicArn))
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) == 0 {
		return forbidden("SNS Signature missing or not base64")
	}
	key, err := c.key(ctx, u, now)
	if err != nil {
		return err
	}
	var sum []byte
	if h == crypto.SHA1 {
		s := sha1.Sum([]byte(m.stringToSign()))
		sum = s[:]
	} else {
		s := sha256.Sum256([]byte(m.stringToSign()))
		sum = s[:]
	}
	if rsa.VerifyPKCS1v15(key, h, sum, sig) != nil {
		return forbidden("SNS signature does not verify")
	}
	return nil
}
