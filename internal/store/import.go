package store

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"mailer/internal/address"
)

// ImportProblem is one line of an import file that was not imported.
type ImportProblem struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// ImportReport says what an import did, line by line where it matters.
type ImportReport struct {
	Added   int             `json:"added"`
	Already int             `json:"already"` // already active: nothing to do
	Invalid []ImportProblem `json:"invalid"`
	// Skipped are people who left the list, bounced or were disabled: an
	// import is no consent to mail them again, so it leaves them alone.
	Skipped []ImportProblem `json:"skipped"`
}

// headerNames are first-column titles that mark the first row as a header.
var headerNames = map[string]bool{"email": true, "e-mail": true, "mail": true, "address": true, "email address": true, "e-mail address": true}

// Import adds the addresses in a CSV file (columns email[,name]) to list as
// active members, in one transaction: either the whole file's valid rows are
// in or, on a database error, none are. Rows that are broken or invalid are
// reported with their line numbers and the rest are imported; running the
// same file again adds nothing.
func (db *DB) Import(ctx context.Context, list string, r io.Reader, ev Evidence) (*ImportReport, error) {
	l, err := db.GetList(ctx, list)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{Invalid: []ImportProblem{}, Skipped: []ImportProblem{}}
	err = db.inTx(ctx, "import into "+l.Name, func(tx *sql.Tx) error {
		*rep = ImportReport{Invalid: []ImportProblem{}, Skipped: []ImportProblem{}}
		w := newMemberWriter(ctx, tx, db.now())
		defer w.close()
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		cr.TrimLeadingSpace = true
		cr.ReuseRecord = true
		first := true
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			line, _ := cr.FieldPos(0)
			if err != nil {
				var pe *csv.ParseError
				if !errors.As(err, &pe) {
					return fmt.Errorf("read CSV: %w", err)
				}
				rep.Invalid = append(rep.Invalid, ImportProblem{Line: pe.StartLine, Reason: pe.Err.Error()})
				continue
			}
			if first {
				first = false
				if headerNames[strings.ToLower(strings.TrimSpace(rec[0]))] {
					continue
				}
			}
			if isBlank(rec) {
				continue
			}
			if err := w.importRow(l, rec, line, ev, rep); err != nil {
				return err
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func isBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// importRow adds one record, reporting rather than failing on bad data.
// Only database errors are returned.
func (w *memberWriter) importRow(l *List, rec []string, line int, ev Evidence, rep *ImportReport) error {
	text := strings.Join(rec, ",")
	if len(rec) > 2 {
		rep.Invalid = append(rep.Invalid, ImportProblem{Line: line, Text: text, Reason: fmt.Sprintf("%d columns, want email[,name]", len(rec))})
		return nil
	}
	addr, err := address.Parse(rec[0])
	if err == nil && len(rec) == 2 {
		addr.Name, err = address.ParseName(rec[1])
	}
	if err != nil {
		rep.Invalid = append(rep.Invalid, ImportProblem{Line: line, Text: text, Reason: err.Error()})
		return nil
	}
	id, stored, from, err := w.current(l, addr)
	if err != nil {
		return err
	}
	switch from {
	case Active:
		rep.Already++
		return nil
	case Unsubscribed, Bounced, Disabled:
		rep.Skipped = append(rep.Skipped, ImportProblem{Line: line, Text: text, Reason: fmt.Sprintf("%s is %s; not re-subscribed by an import", stored, from)})
		return nil
	}
	if _, err := w.move(l, id, stored, from, Active, ev); err != nil {
		return err
	}
	rep.Added++
	return nil
}
