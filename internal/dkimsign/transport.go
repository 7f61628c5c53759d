package dkimsign

import (
	"context"

	"mailer/internal/delivery"
)

// Transport signs every message before the wrapped transport sends it:
// issues, confirmations and answers alike, and after personalisation, so
// the signature covers the exact bytes each reader gets.
func Transport(t delivery.Transport, s *Signer) delivery.Transport {
	return &signingTransport{next: t, signer: s}
}

type signingTransport struct {
	next   delivery.Transport
	signer *Signer
}

func (t *signingTransport) Dial(ctx context.Context) (delivery.Session, error) {
	s, err := t.next.Dial(ctx)
	if err != nil {
		return nil, err
	}
	return &signingSession{next: s, signer: t.signer}, nil
}

type signingSession struct {
	next   delivery.Session
	signer *Signer
}

// Send signs and passes the gate on as it is: it is the crash guarantee
// and the pipelining.
func (s *signingSession) Send(env delivery.Envelope, msg []byte, gate delivery.Gate) error {
	signed, err := s.signer.Sign(msg)
	if err != nil {
		return err
	}
	return s.next.Send(env, signed, gate)
}

func (s *signingSession) Close() error { return s.next.Close() }
