package esphooks_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testTopic = "arn:aws:sns:us-east-1:123456789012:mailer-ses"
	snsHost   = "sns.us-east-1.amazonaws.com"
	certURL   = "https://" + snsHost + "/SimpleNotificationService-0123456789abcdef.pem"
)

// fakeSNS is Amazon SNS as mailer sees it: an https server holding the
// signing certificate and the subscription confirmation, reached through a
// client whose dialer sends every host to it, so that mailer's own host
// check (sns.REGION.amazonaws.com only) runs unchanged. It records the
// hosts asked for.
type fakeSNS struct {
	key    *rsa.PrivateKey
	client *http.Client
	mu     sync.Mutex
	hosts  []string
	certs  int
	confs  int
}

func startSNS(t *testing.T) *fakeSNS {
	t.Helper()
	f := &fakeSNS{}
	var err error
	if f.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: snsHost},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &f.key.PublicKey, f.key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, ".pem"):
			f.certs++
			w.Write(certPEM)
		case r.URL.Query().Get("Action") == "ConfirmSubscription":
			f.confs++
			w.Write([]byte("<ConfirmSubscriptionResponse/>"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	addr := srv.Listener.Addr().String()
	f.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, host string) (net.Conn, error) {
			f.mu.Lock()
			f.hosts = append(f.hosts, host)
			f.mu.Unlock()
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		// httptest's certificate names example.com; the trust is real TLS.
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "example.com"},
	}}
	return f
}

func (f *fakeSNS) counts() (certs, confs int, hosts []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.certs, f.confs, append([]string(nil), f.hosts...)
}

// snsEnvelope is an SNS HTTP(S) delivery as the SNS Developer Guide shows it.
type snsEnvelope struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token,omitempty"`
	TopicArn         string `json:"TopicArn"`
	Subject          string `json:"Subject,omitempty"`
	Message          string `json:"Message"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
	SubscribeURL     string `json:"SubscribeURL,omitempty"`
	UnsubscribeURL   string `json:"UnsubscribeURL,omitempty"`
}

// notification wraps an SES notification for the test topic, now.
func notification(msg []byte, id string) *snsEnvelope {
	return &snsEnvelope{Type: "Notification", MessageID: id, TopicArn: testTopic, Message: string(msg),
		Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), SigningCertURL: certURL,
		UnsubscribeURL: "https://" + snsHost + "/?Action=Unsubscribe&SubscriptionArn=" + testTopic + ":1"}
}

func subscription(topic string) *snsEnvelope {
	return &snsEnvelope{Type: "SubscriptionConfirmation", MessageID: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		Token: "2336412f37f", TopicArn: topic, Message: "You have chosen to subscribe to the topic " + topic,
		SubscribeURL: "https://" + snsHost + "/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=2336412f37f",
		Timestamp:    time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), SigningCertURL: certURL}
}

// sign signs e as SNS does: version "1" SHA1withRSA, "2" SHA256withRSA,
// over the documented fields in order.
func (f *fakeSNS) sign(t *testing.T, e *snsEnvelope, version string) []byte {
	t.Helper()
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("Message", e.Message)
	add("MessageId", e.MessageID)
	if e.Type == "Notification" {
		if e.Subject != "" {
			add("Subject", e.Subject)
		}
	} else {
		add("SubscribeURL", e.SubscribeURL)
	}
	add("Timestamp", e.Timestamp)
	if e.Type != "Notification" {
		add("Token", e.Token)
	}
	add("TopicArn", e.TopicArn)
	add("Type", e.Type)
	var sig []byte
	var err error
	if version == "1" {
		sum := sha1.Sum([]byte(b.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA1, sum[:])
	} else {
		sum := sha256.Sum256([]byte(b.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA256, sum[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	e.SignatureVersion, e.Signature = version, base64.StdEncoding.EncodeToString(sig)
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
