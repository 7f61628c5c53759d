package store

import (
	"context"
	"errors"
	"fmt"

	"mailer/internal/address"
)

// ImportRow is one member of an import file.
type ImportRow struct {
	Line    int
	Address address.Address
	// Status is what the file says: Active, or Unsubscribed, Bounced,
	// Complained or Disabled (people another system must not mail), or
	// Pending (never confirmed).
	Status Status
	// Consent is the source tool's record of consent ("opted in
	// 2019-03-04 10:00:00, confirm IP 192.0.2.1"), kept in the audit log
	// with the change it brings; IP is the address it names, for the
	// audit log's IP column.
	Consent, IP string
}

// ImportProblem is a line that was read but not applied, and why.
type ImportProblem struct {
	Line   int    `json:"line"`
	Text   string `json:"text,omitempty"`
	Reason string `json:"reason"`
}

// ImportReport says what an import did.
type ImportReport struct {
	Added   int `json:"added"`
	Already int `json:"already"` // already as the file says: nothing to do
	// Suppressed are people new to the list whom the file marks as not to
	// be mailed: they are recorded so, and a later add needs --force.
	Suppressed int `json:"suppressed"`
	// Renamed are members whose name the file changed (audited).
	Renamed int `json:"renamed"`
	// Skipped are rows left alone: people who left the list, bounced or
	// were disabled here (an import is no consent to mail them again),
	// members the file says left, and unconfirmed addresses.
	Skipped []ImportProblem `json:"skipped"`
	DryRun  bool            `json:"dry_run"`
}

// errDryRun rolls back a dry run.
var errDryRun = errors.New("dry run")

// ApplyImport applies rows to list in one transaction: all or, on a
// database error, none. With dryRun it reports what it would do and
// changes nothing.
func (db *DB) ApplyImport(ctx context.Context, l *List, rows []ImportRow, ev Evidence, dryRun bool) (*ImportReport, error) {
	var rep ImportReport
	err := db.inTx(ctx, "import into "+l.Name, func(tx *txn) error {
		rep = ImportReport{Skipped: []ImportProblem{}, DryRun: dryRun}
		w := newMemberWriter(ctx, tx, db.now())
		defer w.close()
		names, err := newNameWriter(ctx, tx)
		if err != nil {
			return err
		}
		defer names.close()
		for _, r := range rows {
			if err := names.rename(w, l, r, ev, &rep); err != nil {
				return err
			}
			if err := w.importRow(l, r, withConsent(ev, r), &rep); err != nil {
				return err
			}
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, err
	}
	return &rep, nil
}

// withConsent is ev with the row's consent evidence: the reason names
// what the source tool recorded, the IP column its IP when ev has none.
func withConsent(ev Evidence, r ImportRow) Evidence {
	if r.Consent != "" {
		ev.Reason += " (" + r.Consent + ")"
	}
	if ev.IP == "" {
		ev.IP = r.IP
	}
	return ev
}

// importRow applies one row. Only database errors are returned.
func (w *memberWriter) importRow(l *List, r ImportRow, ev Evidence, rep *ImportReport) error {
	id, stored, from, err := w.current(l, r.Address)
	if err != nil {
		return err
	}
	skip := func(format string, args ...any) error {
		rep.Skipped = append(rep.Skipped, ImportProblem{Line: r.Line, Text: stored, Reason: fmt.Sprintf(format, args...)})
		return nil
	}
	switch {
	case from == r.Status:
		rep.Already++
		return nil
	case r.Status == Pending:
		return skip("%s never confirmed; not imported (ask them to subscribe)", stored)
	case r.Status == Active && (from == "" || from == Pending):
		rep.Added++
		_, err = w.move(l, id, stored, from, Active, ev)
		return err
	case r.Status == Active:
		return skip("%s is %s here; an import is no consent to mail them again (subscribers add --force if they asked you)", stored, from)
	case from == "":
		// Not a member here, and the file says not to mail them: keep
		// that, so that no later add or import mails them by mistake.
		rep.Suppressed++
		return w.insertStopped(l, id, stored, r.Status, ev)
	}
	return skip("%s is %s here and %s in the file; left as it is", stored, from, r.Status)
}

// insertStopped records someone who is not to be mailed and was never a
// member here: the lifecycle has no such move, as only an import brings
// it.
func (w *memberWriter) insertStopped(l *List, id int64, stored string, to Status, ev Evidence) error {
	if _, err := w.insert.ExecContext(w.ctx, l.ID, id, to, ev.Source, ev.Reason, w.now, w.now); err != nil {
		return err
	}
	_, err := w.audit.ExecContext(w.ctx, w.now, l.Name, stored, "imported as "+string(to), "", to, ev.Source, ev.Reason,
		ev.MessageID, ev.IP, ev.UserAgent, ev.Operator)
	return err
}
