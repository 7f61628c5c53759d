package delivery

import (
	"context"
	"time"
)

// Outbox sends single messages, each over a session of its own: for the
// few mails that are not issues (confirmations, answers, notices), which go
// out through the same transport as issues.
type Outbox struct {
	Transport Transport
	// DialTimeout bounds opening the session; 0 means 30 seconds.
	DialTimeout time.Duration
}

// Send delivers msg to one recipient.
func (o Outbox) Send(ctx context.Context, from, to string, msg []byte) error {
	timeout := o.DialTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s, err := o.Transport.Dial(dctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return SendOne(s, from, to, msg)
}

// SendOne delivers a single message on s, without gate or pipelining.
func SendOne(s Session, from, to string, msg []byte) error {
	return s.Send(Envelope{From: from, To: to}, msg, nil)
}
