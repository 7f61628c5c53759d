package metrics

import (
	"context"
	"errors"
	"time"

	"mailer/internal/delivery"
)

// Transport wraps t so that every session it opens and every message it
// carries counts its reply class and its time. The gate is passed on (the
// crash guarantee), and the time the sender holds a message's end at the
// gate is left out of the message's: it is the sender's, not the server's.
func (m *Metrics) Transport(t delivery.Transport) delivery.Transport {
	if t == nil {
		return nil
	}
	return transport{t: t, m: m}
}

type transport struct {
	t delivery.Transport
	m *Metrics
}

func (t transport) Dial(ctx context.Context) (delivery.Session, error) {
	start := time.Now()
	s, err := t.t.Dial(ctx)
	t.m.smtp("connect", time.Since(start), err)
	if err != nil {
		return nil, err
	}
	return session{s: s, m: t.m}, nil
}

type session struct {
	s delivery.Session
	m *Metrics
}

func (s session) Send(env delivery.Envelope, msg []byte, gate delivery.Gate) error {
	start := time.Now()
	var held time.Duration
	var gateErr error
	g := gate
	if gate != nil {
		g = func() (*delivery.Envelope, error) {
			t := time.Now()
			next, err := gate()
			held, gateErr = time.Since(t), err
			return next, err
		}
	}
	err := s.s.Send(env, msg, g)
	if gateErr == nil || !errors.Is(err, gateErr) {
		// A message the sender abandoned at its gate (the send was
		// stopped) got no reply: nothing to count.
		s.m.smtp("message", time.Since(start)-held, err)
	}
	return err
}

func (s session) Close() error { return s.s.Close() }

// smtp counts one step's reply class and time.
func (m *Metrics) smtp(step string, took time.Duration, err error) {
	m.smtpReplies.WithLabelValues(step, replyClass(err)).Inc()
	m.smtpDuration.WithLabelValues(step).Observe(took.Seconds())
}

// replyClass is the class of the server's reply: 2xx when the step
// succeeded, 4xx or 5xx from a reply error (RFC 5321 §4.2.1: the first
// digit says it all), error when there was no reply.
func replyClass(err error) string {
	if err == nil {
		return "2xx"
	}
	var re *delivery.ReplyError
	if errors.As(err, &re) {
		switch re.Code / 100 {
		case 2:
			return "2xx"
		case 4:
			return "4xx"
		case 5:
			return "5xx"
		}
	}
	return "error"
}
