package serve

import (
	"context"

	"mailer/internal/fault"
	"mailer/internal/store"
	"mailer/templates"
)

// checkListTemplates refuses to start with a list's own templates missing
// or broken: its pages and mail would quietly take the global look.
func checkListTemplates(ctx context.Context, db *store.DB) error {
	lists, err := db.Lists(ctx)
	if err != nil {
		return err
	}
	for _, l := range lists {
		if l.TemplatesDir == "" {
			continue
		}
		if err := templates.CheckList(l.Name, l.TemplatesDir); err != nil {
			return fault.Explain(fault.Invalid, err, "%v: fix it, or mailer lists edit %s --templates \"\" for the global look", err, l.Name)
		}
	}
	return nil
}
