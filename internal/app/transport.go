package app

import (
	"fmt"
	"time"

	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/dkimsign"
	"mailer/internal/fault"
	"mailer/internal/maildir"
	"mailer/internal/smtpsend"
)

// Transport builds the configured transport for single messages
// (confirmations, answers, notices), DKIM-signing when a key is configured.
func Transport(cfg *config.Config) (delivery.Transport, string, error) {
	t, signer, via, err := SendTransport(cfg)
	if err != nil || signer == nil {
		return t, via, err
	}
	return dkimsign.Transport(t, signer), via, nil
}

// SendTransport builds the transport for sends and the DKIM signer (nil
// when none is configured): a send signs each message as it composes it,
// ahead of the exchange and on every core.
func SendTransport(cfg *config.Config) (delivery.Transport, *dkimsign.Signer, string, error) {
	t, via, err := PlainTransport(cfg)
	if err != nil {
		return nil, nil, "", err
	}
	signer, err := LoadDKIM(cfg)
	if err != nil || signer == nil {
		return t, nil, via, err
	}
	return t, signer, via + ", DKIM-signed for " + cfg.DKIM.Domain, nil
}

// LoadDKIM reads the configured keys; nil when there are none.
func LoadDKIM(cfg *config.Config) (*dkimsign.Signer, error) {
	if cfg.DKIM.KeyFile == "" {
		return nil, nil
	}
	signer, err := dkimsign.Load(cfg.DKIM.Domain, cfg.DKIM.Selector, cfg.Resolve(cfg.DKIM.KeyFile))
	if err != nil {
		return nil, err
	}
	if cfg.DKIM.DualKeyFile != "" {
		if err := signer.AddKey(cfg.DKIM.DualSelector, cfg.Resolve(cfg.DKIM.DualKeyFile)); err != nil {
			return nil, err
		}
	}
	return signer, nil
}

// PlainTransport builds the configured transport without DKIM.
func PlainTransport(cfg *config.Config) (delivery.Transport, string, error) {
	if cfg.Transport.Kind == "maildir" {
		dir := cfg.Resolve(cfg.Transport.Path)
		return &maildir.Transport{Dir: dir}, "maildir " + dir, nil
	}
	t, err := smtpsend.New(smtpsend.Options{
		Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username, Password: cfg.SMTP.Password,
		TLS: string(cfg.SMTP.TLS), HELO: cfg.SMTP.HELO,
		ConnectTimeout: time.Duration(cfg.SMTP.ConnectTimeout), CommandTimeout: time.Duration(cfg.SMTP.CommandTimeout),
	})
	if err != nil {
		return nil, "", fault.Wrap(fault.Invalid, err, "%s: smtp", cfg.Path)
	}
	return t, fmt.Sprintf("smtp %s:%d (%s)", cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS), nil
}
