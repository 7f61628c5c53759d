package optin

import (
	"context"

	"mailer/internal/address"
	"mailer/internal/fault"
	"mailer/internal/mailout"
	"mailer/internal/store"
)

// Ask is a confirmation request decided on: to whom, for which list and
// action, asked by which request. Nothing of it is stored before it is
// sent, so one never sent leaves no trace.
type Ask struct {
	l      *store.List
	a      address.Address
	action string
	req    Request
}

// To is the address the confirmation goes to.
func (k *Ask) To() address.Address { return k.a }

// ask sends k now and answers done, or with Request.Later hands it back
// unsent. A reached cap is the CannotSend outcome.
func (s *Service) ask(ctx context.Context, k *Ask, done Kind) (Outcome, error) {
	if k.req.Later {
		return Outcome{Kind: done, Ask: k}, nil
	}
	err := s.Send(ctx, k, "")
	if mailout.Capped(err) {
		return Outcome{Kind: CannotSend, Detail: err.Error()}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Kind: done}, nil
}

// Send mails the confirmation k asks for, with carry after it (the answer
// to the command mail that asked, so that a subscription by mail costs one
// mail, not two), and commits the request: the code, and for a
// subscription the pending status. A reached cap is mailout's error
// (mailout.SiteCapped: the caller holds the request back for a retry);
// then nothing is committed.
func (s *Service) Send(ctx context.Context, k *Ask, carry string) error {
	if err := s.sendConfirmation(ctx, k, carry); err != nil {
		return err
	}
	if k.action != "subscribe" {
		return nil
	}
	// Sent: only now is the address pending. Should this fail, the MTA's
	// retry finds the confirmation sent and says so; the code works anyway.
	_, err := s.store.SetStatus(ctx, k.l, k.a, store.Pending, k.req.Evidence)
	if fault.CodeOf(err) == fault.Conflict {
		return nil
	}
	return err
}
