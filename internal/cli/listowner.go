package cli

import (
	"net/mail"

	"mailer/internal/fault"
)

// defaultOwner gives a list created without --owner the site owner that
// mailer init --owner wrote to the config, so the list has someone to run
// it; it returns that address, "" when --owner was given or no owner is set.
func defaultOwner(opts *ListsCreateOptions) (string, error) {
	if opts.Settings.Owners != nil {
		return "", nil
	}
	cfg, err := opts.Deps.Config()
	if err != nil || cfg.Owner == "" {
		return "", err
	}
	a, err := mail.ParseAddress(string(cfg.Owner))
	if err != nil {
		return "", fault.Wrap(fault.Invalid, err, "config owner %q", cfg.Owner)
	}
	opts.Settings.Owners = &[]string{a.Address}
	return a.Address, nil
}
